// Typing as a person does, shared by the end-to-end tests.
import assert from 'node:assert/strict';

/** Type `text` into an input with real key events: focus it, select all, delete, then one key per
 *  character (the issue: a controlled input moved the caret after the "." and typing 0.01 gave
 *  010). Checks that the input holds exactly what was typed. */
export async function typeInto(locator, text) {
  await locator.click();
  await locator.press('Control+A');
  await locator.press('Backspace');
  await locator.pressSequentially(text, { delay: 15 });
  assert.equal(await locator.inputValue(), text, 'the input holds what was typed');
}
