import { esc, page } from './html.js';

export function passwordPage(person: string, csrf: string, error: string | null): string {
  const err = error ? `<p class="error" role="alert" id="error">${esc(error)}</p>` : '';
  return page(
    'Change password — Thalamus',
    `<h1>Change password</h1>
<p>Account <strong>${esc(person)}</strong>. The new password must have 8 to 128 characters.</p>
${err}
<form method="post" action="/password/${esc(person)}">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required${error ? ' aria-describedby="error"' : ''}>
<label for="confirm">Repeat the new password</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>
<button type="submit">Change password</button>
</form>`,
  );
}
