// authgate.js — browser client for authgate's cookie transport.
//
// * every call uses credentials: 'include' (tokens live in HttpOnly cookies
//   this script can never read);
// * state-changing calls carry X-CSRF-Token (from the login/refresh response,
//   else from the readable csrf_token cookie);
// * the access token is refreshed silently shortly before it expires
//   (refreshMarginSeconds early, but at most a third of its lifetime early,
//   so short lifetimes do not refresh in a loop), and once after a 401;
// * a page that has no CSRF token (a reload on another origin, where the
//   csrf_token cookie is unreadable) asks for one before it changes state;
// * tabs coordinate: a Web Lock makes one tab refresh while the others wait,
//   and a BroadcastChannel hands them the result, so several open tabs never
//   present the same refresh token twice and never log the user out.

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SHARED_KEY = 'authgate:session';
const MIN_DELAY_MS = 250;  // never schedule refreshes closer together than this

export class AuthgateError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.name = 'AuthgateError';
    this.status = status;
    this.code = (problem && problem.code) || 'http_error';
    this.problem = problem || {};
    this.retryAfter = problem && problem.retry_after;
  }
}

async function parseBody(response) {
  const text = await response.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return null; }  // e.g. a proxy's HTML error page
}

function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

export class AuthgateClient {
  constructor({ baseUrl = '', refreshMarginSeconds = 30, onSignedOut = null } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.margin = refreshMarginSeconds * 1000;
    this.onSignedOut = onSignedOut;
    this.csrf = null;
    this.timer = null;
    this.refreshing = null;
    this.channel = 'BroadcastChannel' in self ? new BroadcastChannel('authgate') : null;
    if (this.channel) {
      this.channel.onmessage = (event) => this._onPeerMessage(event.data);
    }
    this._scheduleShared(this._shared());
  }

  // --- shared state between tabs (no secrets: timestamps and a lifetime) ---
  _shared() {
    try { return JSON.parse(localStorage.getItem(SHARED_KEY) || 'null'); } catch { return null; }
  }

  _remember(body) {
    if (body && body.csrf_token) this.csrf = body.csrf_token;
    if (!body || !body.expires_in) return;
    const lifetime = body.expires_in * 1000;
    const refreshedAt = Date.now();
    const state = { expiresAt: refreshedAt + lifetime, refreshedAt, lifetime };
    try { localStorage.setItem(SHARED_KEY, JSON.stringify(state)); } catch { /* private mode */ }
    if (this.channel) this.channel.postMessage({ type: 'refreshed', ...state, csrf: this.csrf });
    this._schedule(state.expiresAt, lifetime);
  }

  _scheduleShared(shared) {
    if (!shared || !shared.expiresAt) return;
    this._schedule(shared.expiresAt, shared.lifetime || shared.expiresAt - shared.refreshedAt);
  }

  _forget() {
    clearTimeout(this.timer);
    this.csrf = null;
    try { localStorage.removeItem(SHARED_KEY); } catch { /* ignore */ }
  }

  _onPeerMessage(message) {
    if (message.type === 'refreshed') {
      if (message.csrf) this.csrf = message.csrf;
      this._schedule(message.expiresAt, message.lifetime);
    } else if (message.type === 'signed-out') {
      this._forget();
      if (this.onSignedOut) this.onSignedOut();
    }
  }

  _schedule(expiresAt, lifetime) {
    clearTimeout(this.timer);
    // A 30 s margin on a 3 s token would refresh again the moment a refresh
    // lands; a third of the lifetime leaves two thirds of it in use.
    const margin = lifetime > 0 ? Math.min(this.margin, lifetime / 3) : this.margin;
    const delay = Math.max(MIN_DELAY_MS, expiresAt - Date.now() - margin);
    this.timer = setTimeout(() => { this.refresh().catch(() => {}); }, delay);
  }

  csrfToken() {
    return readCookie('csrf_token') || this.csrf;
  }

  // --- HTTP ---
  async _fetch(path, { method = 'GET', body } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (STATE_CHANGING.has(method)) {
      const token = this.csrfToken();
      if (token) headers['X-CSRF-Token'] = token;
    }
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      credentials: 'include',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await parseBody(response);
    if (!response.ok) throw new AuthgateError(response.status, data);
    return data;
  }

  /** Fetch a CSRF token from `path` unless one is known (cookie or memory). */
  async _ensureCsrf(path) {
    if (this.csrfToken()) return;
    const body = await this._fetch(path);
    if (body && body.csrf_token) this.csrf = body.csrf_token;
  }

  /** A call to the API; one silent refresh and retry after a 401. */
  async request(path, options = {}) {
    const attempt = async () => {
      if (STATE_CHANGING.has(options.method || 'GET')) await this._ensureCsrf('/auth/csrf');
      return this._fetch(path, options);
    };
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof AuthgateError) || error.status !== 401) throw error;
      await this.refresh();
      return attempt();
    }
  }

  /** Refresh once for all tabs: one holds the lock and refreshes, the rest reuse it. */
  refresh() {
    if (!this.refreshing) {
      const asked = Date.now();
      const run = async () => {
        const shared = this._shared();
        if (shared && shared.refreshedAt > asked) {
          this._scheduleShared(shared);
          return;  // another tab refreshed while we waited for the lock
        }
        try {
          // The refresh cookie's Path also covers /auth/refresh/csrf.
          await this._ensureCsrf('/auth/refresh/csrf');
          this._remember(await this._fetch('/auth/refresh', { method: 'POST' }));
        } catch (error) {
          if (error instanceof AuthgateError && error.status === 401) {
            this._forget();
            if (this.channel) this.channel.postMessage({ type: 'signed-out' });
            if (this.onSignedOut) this.onSignedOut();
          }
          throw error;
        }
      };
      const locked = navigator.locks
        ? navigator.locks.request('authgate-refresh', run)
        : run();
      this.refreshing = locked.finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  async register(email, password, { login = true } = {}) {
    const body = await this._fetch('/auth/register', {
      method: 'POST', body: { email, password, login },
    });
    this._remember(body);
    return body;
  }

  async login(email, password) {
    const body = await this._fetch('/auth/login', { method: 'POST', body: { email, password } });
    this._remember(body);
    return body;
  }

  async logout() {
    try { await this.request('/auth/logout', { method: 'POST' }); } finally { this._signedOut(); }
  }

  async logoutAll() {
    try { await this.request('/auth/logout-all', { method: 'POST' }); } finally { this._signedOut(); }
  }

  _signedOut() {
    this._forget();
    if (this.channel) this.channel.postMessage({ type: 'signed-out' });
  }

  me() { return this.request('/auth/me'); }

  sessions() { return this.request('/auth/sessions'); }

  revokeSession(id) {
    return this.request(`/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  changePassword(currentPassword, newPassword) {
    return this.request('/auth/password', {
      method: 'POST', body: { current_password: currentPassword, new_password: newPassword },
    });
  }
}
