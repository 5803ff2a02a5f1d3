/**
 * The refusal of a removal guarded by {@link RemoveLaneRequest.ifExpiredBy}: the lane was redeployed or
 * extended since gc listed it.
 */
import type { RemoveLaneRequest } from './target.js';
import { UserError } from './target.js';

/** A lane that is no longer expired when its guarded removal starts; nothing was removed. */
export class NotExpiredError extends UserError {
  constructor(ref: Pick<RemoveLaneRequest, 'service' | 'lane'>, expiresAt: string | undefined) {
    super(
      `lane ${ref.lane} of ${ref.service} is not expired any more (${expiresAt ? `expires ${expiresAt}` : 'no expiry'}); nothing was removed`,
    );
    this.name = 'NotExpiredError';
  }
}

/**
 * Throws {@link NotExpiredError} when `request` is guarded by `ifExpiredBy` and the lane's expiry (read just now)
 * is later than that, or absent.
 */
export function assertStillExpired(request: RemoveLaneRequest, expiresAt: string | undefined): void {
  if (request.ifExpiredBy === undefined) return;
  const by = Date.parse(request.ifExpiredBy);
  const at = expiresAt === undefined ? Number.NaN : Date.parse(expiresAt);
  if (Number.isNaN(at) || at > by) throw new NotExpiredError(request, expiresAt);
}
