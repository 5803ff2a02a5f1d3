/** `@ecs-lanes/local`: see ARCHITECTURE.md, "Code shape". Its modules land with their issues. */
export {};
