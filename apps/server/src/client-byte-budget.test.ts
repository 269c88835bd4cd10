import { describe, expect, it } from 'vitest';
import { ClientByteBudget } from './client-byte-budget.js';

describe('ClientByteBudget', () => {
  it('lets each client have its budget of bytes in flight, separately, and always one request', () => {
    const budget = new ClientByteBudget(1000);
    expect(budget.tryTake('flood', 600)).toBe(true);
    expect(budget.tryTake('flood', 600)).toBe(false);
    expect(budget.tryTake('other', 40)).toBe(true);
    expect(budget.tryTake('lone', 5000)).toBe(true);
    budget.giveBack('flood', 600);
    expect(budget.tryTake('flood', 900)).toBe(true);
    expect(budget.tryTake('flood', 200)).toBe(false);
  });
});
