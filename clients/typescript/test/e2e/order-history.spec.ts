import { test, expect } from '@playwright/test';
import { TestDataManager } from '@tdm/client';

const tdm = new TestDataManager({
  baseUrl: process.env.TEST_DATA_MANAGER_URL || 'http://localhost:3001',
});

test.beforeEach(async () => {
  tdm.startTracking();
});

test.afterEach(async () => {
  await tdm.cleanup();
});

test('user can view their order history', async ({ page }) => {
  // Create a user with orders using a scenario
  const { user, orders } = await tdm.scenario('user-with-orders', {
    orderCount: 3,
  });
  
  // Login as the created user
  await page.goto('/login');
  await page.fill('[name="email"]', user.email);
  await page.fill('[name="password"]', user.password);
  await page.click('button[type="submit"]');
  
  // Navigate to order history
  await page.goto('/orders');
  
  // Verify orders are displayed
  await expect(page.locator('.order-card')).toHaveCount(3);
});
