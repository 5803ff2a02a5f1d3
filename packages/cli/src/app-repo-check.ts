/**
 * Checks of lanes.yaml that need the file system: every service's `appRepo.localPath` is a directory, when the
 * config declares a local environment (the local target runs each service from there; without a local environment
 * the path is not used, and an Infra repo's CI has no App repos checked out).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type ConfigIssue, configIssueAt } from '@ecs-lanes/core';
import type { Project } from './project.js';

/** The problems of `project`'s App repo paths, in service order; empty when every path is a directory. */
export async function appRepoPathIssues(project: Project, file: string): Promise<ConfigIssue[]> {
  const { config, root, text } = project;
  if (!config.environments.some((e) => e.target === 'local')) return [];
  const issues: ConfigIssue[] = [];
  for (const [i, service] of config.services.entries()) {
    const localPath = service.appRepo.localPath;
    if (localPath === undefined) continue; // the schema already requires it with a local environment
    const dir = path.resolve(root, localPath);
    const found = await stat(dir).catch(() => undefined);
    if (found?.isDirectory()) continue;
    issues.push(
      configIssueAt(
        text,
        file,
        ['services', i, 'appRepo', 'localPath'],
        found
          ? `${dir} is a file, not a directory; point localPath at the directory that holds ${service.name}'s code`
          : `${dir} does not exist; clone ${service.appRepo.repository} there, or fix the path (relative to ${path.basename(file)}'s directory)`,
      ),
    );
  }
  return issues;
}
