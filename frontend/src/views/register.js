// Create an account: it signs in at once, and the app opens on the dashboard (or the page asked for).
import { register } from '../api.js';
import { h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { navigate } from '../router.js';
import { safeNext } from './sign-in.js';

export function render(view, params, query) {
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true,
    'data-field': 'email' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'new-password',
    required: true, minlength: '8', 'data-field': 'password', 'aria-describedby': 'password-hint' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Create account');
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password,
      h('p', { class: 'hint', id: 'password-hint' }, 'At least 8 characters.')),
    submit);

  view.append(h('section', { class: 'auth-card card' },
    h('h1', {}, 'Create your account'),
    h('p', { class: 'muted' }, 'One account keeps your jobs, their history and their logs.'),
    form,
    h('p', { class: 'muted center' }, 'Already have an account? ', h('a', { href: '/sign-in' }, 'Sign in'))));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const errors = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(email.value.trim())) errors.email = ['Enter a valid email address.'];
    if (password.value.length < 8) errors.password = ['Use at least 8 characters.'];
    if (Object.keys(errors).length) {
      showErrors(form, { message: 'Please fix the highlighted fields.', errors });
      return;
    }
    submit.disabled = true;
    try {
      await register(email.value.trim(), password.value);
      navigate(safeNext(query.next), { replace: true, flash: ['Welcome! Your account is ready.', 'success'] });
    } catch (err) {
      if (err.status === 409) {
        showErrors(form, { message: err.message, errors: { email: ['An account with this email already exists.'] } });
      } else {
        showErrors(form, err);
      }
      submit.disabled = false;
    }
  });
  email.focus();
}
