// Page behaviour for authgate's built-in UI; all API calls go through authgate.js.
import { AuthgateClient, AuthgateError } from '/ui/static/authgate.js';

const client = new AuthgateClient({ onSignedOut: () => goTo('/ui/sign-in') });
const page = document.body.dataset.page;
const $ = (id) => document.getElementById(id);

function goTo(path) {
  if (location.pathname !== path) location.assign(path);
}

function showError(error) {
  const box = $('error');
  box.replaceChildren();
  box.hidden = false;
  if (!(error instanceof AuthgateError)) {
    box.textContent = 'Could not reach the server. Check your connection and try again.';
    return;
  }
  const messages = {
    invalid_credentials: 'Email or password is incorrect.',
    email_taken: 'An account with this email already exists. Sign in instead?',
    invalid_email: 'Enter an email address like name@example.com.',
    throttled: `Too many attempts. Try again in ${error.retryAfter || 'a few'} seconds.`,
    validation_error: 'Please fill in every field.',
  };
  if (error.code === 'weak_password') {
    box.append('Choose a stronger password:');
    const list = document.createElement('ul');
    for (const reason of error.problem.reasons || []) {
      const item = document.createElement('li');
      item.textContent = reason;
      list.append(item);
    }
    box.append(list);
  } else {
    box.textContent = messages[error.code] || error.message;
  }
}

function status(text) {
  $('status').textContent = text;
}

function bindForm(id, action) {
  $(id).addEventListener('submit', async (event) => {
    event.preventDefault();
    $('error').hidden = true;
    const form = new FormData(event.target);
    try {
      await action(String(form.get('email')), String(form.get('password')));
      goTo('/ui/account');
    } catch (error) {
      showError(error);
    }
  });
}

async function requireUser(render) {
  try {
    await render();
  } catch (error) {
    if (error instanceof AuthgateError && error.status === 401) goTo('/ui/sign-in');
    else showError(error);
  }
}

function formatTime(iso) {
  return new Date(iso).toLocaleString();
}

async function renderSessions() {
  const sessions = await client.sessions();
  const body = document.querySelector('#sessions tbody');
  body.replaceChildren();
  for (const session of sessions) {
    const row = document.createElement('tr');
    row.dataset.sessionId = session.id;
    const device = (session.user_agent || 'unknown device') + (session.current ? ' (this browser)' : '');
    for (const text of [
      device,
      session.ip || '',
      formatTime(session.created_at),
      formatTime(session.last_used_at),
    ]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    const action = document.createElement('td');
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'secondary';
    revoke.textContent = session.current ? 'Sign out' : 'Revoke';
    // The accessible name starts with the visible label (WCAG 2.5.3 Label in Name).
    revoke.setAttribute('aria-label', `${revoke.textContent}: ${device}`);
    revoke.addEventListener('click', async () => {
      try {
        await client.revokeSession(session.id);
        if (session.current) goTo('/ui/sign-in');
        else { status('Session revoked.'); await renderSessions(); }
      } catch (error) { showError(error); }
    });
    action.append(revoke);
    row.append(action);
    body.append(row);
  }
}

const pages = {
  'sign-in': () => bindForm('sign-in', (email, password) => client.login(email, password)),
  'sign-up': () => bindForm('sign-up', (email, password) => client.register(email, password)),
  account: () => requireUser(async () => {
    const me = await client.me();
    $('me-id').textContent = me.id;
    $('me-email').textContent = me.email;
    $('me-role').textContent = me.role;
    $('me').setAttribute('aria-busy', 'false');
  }),
  sessions: () => {
    $('sign-out-everywhere').addEventListener('click', async () => {
      try { await client.logoutAll(); goTo('/ui/sign-in'); } catch (error) { showError(error); }
    });
    return requireUser(renderSessions);
  },
  'sign-out': () => {
    $('sign-out').addEventListener('click', async () => {
      try { await client.logout(); } catch { /* already signed out */ }
      goTo('/ui/sign-in');
    });
    $('sign-out-everywhere').addEventListener('click', async () => {
      try { await client.logoutAll(); } catch { /* already signed out */ }
      goTo('/ui/sign-in');
    });
  },
};

(pages[page] || (() => {}))();
