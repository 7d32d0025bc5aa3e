// The console's only way to the server: the public REST API under /api/v1.
// The API token lives in sessionStorage (this tab only) and travels in the
// Authorization header, never in a URL.

const TOKEN_KEY = 'stagecheck.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY); }
export function setToken(value) { sessionStorage.setItem(TOKEN_KEY, value); }
export function clearToken() { sessionStorage.removeItem(TOKEN_KEY); }

// Readable sentences for the API's stable problem codes.
const SENTENCES = {
  no_email: 'This candidate has no email address. Add one to their profile, then send again.',
  check_already_active: 'A background check like this one is already in progress for this candidate.',
  certn_not_connected: 'Certn is not connected for this team. An admin can connect it under Certn settings.',
  report_not_ready: 'The report is not ready yet. It appears here once Certn completes the check.',
  not_ordered_yet: 'Certn has not received this order yet. Try again in a moment.',
  missing_token: 'Please sign in with your API token.',
  invalid_token: 'That API token was not accepted. Check it and sign in again.',
  admin_only: 'Only a team admin can do this.',
  read_only_role: 'Your role can look at statuses only.',
  results_forbidden: 'Your role cannot see check results.',
  report_forbidden: 'Your role cannot open background-check reports.',
  token_expired: 'That API token has expired. Ask your team admin for a new one.',
  email_taken: 'Someone in the team already has this email.',
  invalid_email: 'Enter an email address like name@example.com.',
  cannot_deactivate_self: 'You cannot deactivate yourself. Ask another admin.',
  user_deactivated: 'This user is deactivated, so they cannot get new tokens.',
  not_found: 'That item could not be found. It may have been removed.',
  stage_not_found: 'That stage no longer exists. Reload the interview plan.',
  activity_not_found: 'That activity no longer exists. Reload the page.',
  invalid_key: 'Certn did not accept this API key: check the key and the region your Certn account is in.',
  invalid_api_key_format: 'That does not look like a Certn API key.',
  wrong_region: 'Certn did not accept this API key in that region. Pick the region your Certn account is in.',
  unreachable: 'Certn could not be reached. Try again in a minute.',
  certn_team_claimed: 'This Certn account is already connected to another team.',
  certn_rejected: 'Certn rejected the order. Check the candidate details and the package.',
  invalid_webhook_secret: 'The webhook secret must be at least 16 characters.',
  unknown_package: 'That package is not available in your Certn account.',
  no_package: 'Choose a package: this stage, job and team have no default package.',
  ambiguous_package_tag: 'The candidate has tags naming more than one package. Remove all but one and try again.',
  not_a_certn_activity: 'That activity is not a Certn background check.',
  unknown_activity_kind: 'That kind of activity cannot be added right now.',
  invalid_settings: 'Choose a package for the background check.',
  invalid_email: 'Enter a valid email address.',
  invalid_phone: 'Enter a valid phone number.',
  invalid_name: 'Enter a first and a last name.',
  invalid_title: 'Enter a job title.',
  invalid_tags: 'Tags must be short and not repeated.',
  application_exists: 'This candidate has already applied to that job.',
  application_not_active: 'This application is closed (rejected or hired), so it cannot be changed.',
  idempotency_key_reused: 'This request was already sent with different details. Reload and try again.',
  report_not_pdf: 'Certn sent a report that is not a PDF.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  precondition_failed: 'Someone changed this since you opened it. Reload to see their change, then make yours again.',
  check_complete: 'Certn has already completed this check, so it cannot be cancelled.',
  check_ended: 'This check has already ended, so there is nothing to cancel.',
  check_not_ended: 'Only a check that failed or was cancelled can be re-ordered.',
  already_reordered: 'This check has already been re-ordered.',
  internal: 'Something went wrong on the server. Try again, and tell your operator if it keeps happening.',
};

// Why a check ended in error or was cancelled, with the next step.
const REASONS = {
  no_email: 'The candidate has no email address: add one to their profile, then send again.',
  invite_undeliverable: 'The invitation email bounced: correct the address and send again.',
  applicant_expired: 'The invitation expired before the candidate finished: send a new one.',
  applicant_declined: 'The candidate declined the background check.',
  cancelled_by_user: 'Your team cancelled this check. Re-order it to send a new one.',
  certn_rejected: 'Certn refused the order: check the candidate details and the package, then send again.',
  invalid_key: 'Certn refused the team\'s API key: an admin should reconnect Certn, then send again.',
  wrong_region: 'Certn refused the team\'s API key in this region: an admin should reconnect Certn, then send again.',
  certn_case_not_found: 'Certn no longer knows this case. Send a new check.',
  report_failed: 'The check is complete, but its report could not be saved. Refresh the status to try again.',
};

// A sentence for a check's error (or cancellation) reason; never a code.
export function reasonSentence(reason) {
  if (!reason) return '';
  const key = String(reason).split(':')[0].trim();
  return REASONS[key] || 'Certn could not complete this check. Send it again, or contact Certn if it keeps happening.';
}

const BY_STATUS = {
  400: 'Some of the details are not valid.',
  401: 'Please sign in again.',
  403: 'You are not allowed to do this.',
  404: 'That item could not be found.',
  409: 'That conflicts with the current state. Reload and try again.',
  413: 'That is too large to send.',
  422: 'That cannot be done right now.',
  429: 'Too many requests. Wait a moment and try again.',
  503: 'The service is busy. Try again in a moment.',
  504: 'The request took too long. Try again.',
};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(sentenceFor(status, code, detail));
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

// A problem's detail is a server-written phrase; it is used (as a sentence)
// only for codes without a sentence of their own.
export function sentenceFor(status, code, detail) {
  if (code && SENTENCES[code]) return SENTENCES[code];
  if (typeof detail === 'string' && detail && !detail.trim().startsWith('{')) {
    const text = detail.charAt(0).toUpperCase() + detail.slice(1);
    return /[.!?]$/.test(text) ? text : `${text}.`;
  }
  if (BY_STATUS[status]) return BY_STATUS[status];
  if (status >= 500) return SENTENCES.internal;
  return `The request failed (HTTP ${status}).`;
}

// Called with no arguments when the token stops working (401).
let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// One key for one intention: a dialog makes its key when it opens and sends it
// with every attempt, so two clicks (or a retry after a timeout) order once.
export { newKey as idempotencyKey };

export async function request(method, path, { body, idempotent = false, idempotencyKey, ifMatch, raw = false, signal, withEtag = false } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  else if (idempotent) headers['Idempotency-Key'] = newKey();
  if (ifMatch) headers['If-Match'] = ifMatch;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal,
      credentials: 'omit', cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again');
  }
  if (response.status === 401 && path !== '/me') onUnauthorized();
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not JSON: fall back to the status */ }
    throw new ApiError(response.status, problem.code, problem.detail);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  if (withEtag) return { body: await response.json(), etag: response.headers.get('ETag') };
  return response.json();
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
// A PATCH of a form's resource sends the ETag the form was filled from; a
// stale one is refused (precondition_failed) instead of undoing another change.
// With {withEtag: true} the answer is {body, etag}, the tag for the next edit.
export const patch = (path, body, { ifMatch, withEtag = false } = {}) => request('PATCH', path, { body, ifMatch, withEtag });
// A GET that also returns the resource's ETag: {body, etag}.
export const getWithEtag = (path) => request('GET', path, { withEtag: true });
export const put = (path, body) => request('PUT', path, { body });
export const del = (path) => request('DELETE', path);

// Encodes one path segment.
export const seg = (id) => encodeURIComponent(id);

// Fetches one page of a paginated list: {items, next}.
export function page(path, after, limit = 20) {
  const sep = path.includes('?') ? '&' : '?';
  let url = `${path}${sep}limit=${limit}`;
  if (after) url += `&after=${encodeURIComponent(after)}`;
  return get(url);
}

// Downloads a file the API serves (with the token in a header) and hands it
// to the browser as a file save.
export async function download(path, fallbackName) {
  const response = await request('GET', path, { raw: true });
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = match ? match[1] : fallbackName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// Packages come live from Certn; the console keeps them for a minute.
let packagesCache = null;
export async function packages({ fresh = false } = {}) {
  if (!fresh && packagesCache && Date.now() - packagesCache.at < 60000) return packagesCache.items;
  const body = await get('/integrations/certn/packages');
  packagesCache = { at: Date.now(), items: body.items };
  return body.items;
}
export function forgetPackages() { packagesCache = null; }
