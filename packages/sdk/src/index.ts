/** `@ecs-lanes/sdk`: see ARCHITECTURE.md, "Code shape". Its modules land with their issues. */
export {};
