import { h } from '../dom.js';

export function render(view) {
  view.append(h('section', { class: 'card empty' },
    h('h1', {}, 'Page not found'),
    h('p', { class: 'muted' }, 'There is nothing at this address.'),
    h('a', { class: 'btn btn-primary', href: '/' }, 'Go to the dashboard')));
}
