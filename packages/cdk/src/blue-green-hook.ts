/**
 * The inline (ZipFile) code of the blue/green validation hook: ECS invokes it at `POST_TEST_TRAFFIC_SHIFT`
 * with the green revision behind the test rule. It calls the health path through the test route (the test
 * header set to the lane) and answers `hookStatus`:
 * - `SUCCEEDED` on a 2xx answer;
 * - `IN_PROGRESS` while the route is not answering yet (network error, 502/503/504), so ECS asks again;
 * - `FAILED` on any other answer, so ECS rolls back to blue.
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html
 */
export const BLUE_GREEN_HOOK_CODE = `'use strict';
const RETRY = new Set([502, 503, 504]);
exports.handler = async (event) => {
  const url = process.env.TARGET_URL;
  const lane = process.env.LANE;
  const headers = { [process.env.TEST_HEADER]: lane, tracestate: process.env.TRACESTATE_KEY + '=lane:' + lane };
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    const hookStatus = res.status >= 200 && res.status < 300 ? 'SUCCEEDED' : RETRY.has(res.status) ? 'IN_PROGRESS' : 'FAILED';
    console.log(JSON.stringify({ url, lane, status: res.status, hookStatus, deployment: event && event.executionDetails }));
    return hookStatus === 'IN_PROGRESS' ? { hookStatus, callBackDelay: 15 } : { hookStatus };
  } catch (error) {
    console.log(JSON.stringify({ url, lane, error: String(error), hookStatus: 'IN_PROGRESS' }));
    return { hookStatus: 'IN_PROGRESS', callBackDelay: 15 };
  }
};
`;
