import { expect, test } from 'vitest';
import { flattenErrors } from '../src/forms.js';

test('server field errors flatten to dotted field names', () => {
  expect(flattenErrors({
    name: ['Missing data for required field.'],
    target: { url: ['Not a valid URL.', 'Too long.'] },
    notify_emails: { 0: ['Not a valid email address.'] },
  })).toEqual({
    name: 'Missing data for required field.',
    'target.url': 'Not a valid URL. Too long.',
    'notify_emails.0': 'Not a valid email address.',
  });
  expect(flattenErrors(undefined)).toEqual({});
});
