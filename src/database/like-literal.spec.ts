import { likeLiteral } from './like-literal';

describe('likeLiteral', () => {
  it.each([
    ['%', '\\%'],
    ['a_b', 'a\\_b'],
    ['50%_off\\now', '50\\%\\_off\\\\now'],
    ['plain text', 'plain text'],
  ])('%p → %p', (text, escaped) => {
    expect(likeLiteral(text)).toBe(escaped);
  });
});
