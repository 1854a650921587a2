// Sign in; afterwards back to the page the user was on (?next=).
import { isSignedIn, signIn } from '../api.js';
import { h } from '../dom.js';
import { clearErrors, showErrors, showFormAlert } from '../forms.js';
import { navigate } from '../router.js';

/** Only paths inside this app are followed after sign-in (never another site). */
export function safeNext(next) {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/';
}

export function render(view, params, query) {
  const next = safeNext(query.next);
  if (isSignedIn() && !query.expired) {
    navigate(next, { replace: true });
    return;
  }
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true,
    'data-field': 'email', value: query.email || '' });
  const password = h('input', { id: 'password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true, 'data-field': 'password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    submit);

  const notice = query.expired ? 'Your session has expired. Sign in to continue where you left off.'
    : query.signed_out ? 'You have signed out.' : null;

  view.append(h('section', { class: 'auth-card card' },
    h('h1', {}, 'Sign in to Chronos'),
    h('p', { class: 'muted' }, 'Schedule HTTP calls and jobs, and watch them run.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    form,
    h('p', { class: 'muted center' }, 'New here? ',
      h('a', { href: `/register${query.next ? `?next=${encodeURIComponent(next)}` : ''}` }, 'Create an account'))));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!email.value.trim() || !password.value) {
      showErrors(form, { message: 'Enter your email and password.', errors: {
        ...(email.value.trim() ? {} : { email: ['Enter your email address.'] }),
        ...(password.value ? {} : { password: ['Enter your password.'] }) } });
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      await signIn(email.value.trim(), password.value);
      navigate(next, { replace: true });
    } catch (err) {
      if (err.status === 401) showFormAlert(form, 'Wrong email or password.').focus();
      else showErrors(form, err);
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  if (!email.value) email.focus(); else password.focus();
}
