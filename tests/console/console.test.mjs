// Browser tests of the web console against a real `stagecheck serve` and a
// real fake Certn. One scenario per ctest test (console.<scenario>).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { run, assert, checkNoConsoleErrors, checkNoHorizontalOverflow, checkLabels } from './harness.mjs';

// Waits until `locator` shows `text` (substring, case-sensitive: a string in
// hasText ignores case, so 'Connected' would match 'Not connected').
function exactly(text) {
  if (text instanceof RegExp) return text;
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
async function waitText(locator, text) {
  await locator.filter({ hasText: exactly(text) }).first().waitFor();
}

// The same for text inside a closed <details> (in the DOM, not on screen).
async function waitAttachedText(locator, text) {
  await locator.filter({ hasText: exactly(text) }).first().waitFor({ state: 'attached' });
}

// The visible badge colour: green (--ok in app.css) only for a CLEAR result.
const GREEN = 'rgb(29, 107, 58)';
async function badgeColour(badge) {
  return badge.evaluate((el) => getComputedStyle(el).color);
}

async function admin(env) {
  const page = await env.newPage();
  // Before anything is connected the integration answers 422 certn_not_connected.
  page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);
  await page.goto(`${env.baseUrl}/`);
  await page.getByLabel('API token', { exact: true }).waitFor();
  env.publishDocsImage(await env.screenshot(page, 'sign-in'), 'sign-in');
  await env.signIn(page, 'admin');
  await page.waitForURL(/#\/admin\/certn$/);
  await waitText(page.locator('#certn-status'), 'Not connected yet');

  // A wrong key is stored but not connected, with the reason in words.
  await page.getByLabel('Certn API key', { exact: true }).fill('wrong-certn-key-0000');
  await page.getByLabel('Region', { exact: true }).selectOption('north_america');
  await page.getByLabel('Webhook secret', { exact: true }).fill('demo-webhook-secret');
  await page.getByRole('button', { name: 'Connect' }).click();
  await waitText(page.locator('#certn-status'), 'Not connected: Certn did not accept this API key: check the key and the region');

  // The right key connects; Verify says so again.
  await page.getByLabel('Certn API key', { exact: true }).fill('demo-certn-api-key');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await waitText(page.locator('#certn-status'), 'Connected');
  await page.getByRole('button', { name: 'Verify API key' }).click();
  await waitText(page.getByRole('alert'), 'Verified: Certn accepted the API key.');
  assert(await page.locator('#masked-key').textContent() === '••••-key', 'the API key is shown masked');
  const webhookUrl = await page.getByLabel('Webhook URL', { exact: true }).inputValue();
  assert(webhookUrl === env.webhookUrl, `webhook URL ${webhookUrl} != ${env.webhookUrl}`);
  await page.getByRole('button', { name: 'Copy webhook URL' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert(await page.evaluate(() => navigator.clipboard.readText()) === env.webhookUrl, 'the webhook URL was copied');
  await waitText(page.locator('#last-delivery'), 'No deliveries yet');

  // A typo in a new key: Certn refuses it, the working key stays in use.
  page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);
  await page.getByLabel('Certn API key', { exact: true }).fill('demo-certn-api-kez');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await waitText(page.getByRole('alert'), 'Certn did not accept this API key: check the key and the region your Certn account is in. The connection that was working stays in use.');
  await waitText(page.locator('#certn-status'), 'Connected');
  const kept = await env.api('admin', 'GET', '/integrations/certn');
  assert(kept.status === 'connected' && kept.api_key === '••••-key', `after a rejected key: ${JSON.stringify(kept)}`);

  // Team default package: the dropdown is filled live from Certn (HR checks only).
  const teamPackages = await page.getByLabel('Default package', { exact: true }).locator('option').allTextContents();
  assert(teamPackages.includes('Basic criminal record') && !teamPackages.includes('Tenant screening'),
    `team packages: ${teamPackages}`);
  await page.getByLabel('Default package', { exact: true }).selectOption('pkg-standard');
  await page.getByRole('button', { name: 'Save default package' }).click();
  await waitText(page.getByRole('alert'), 'The team default package was saved.');
  assert((await env.api('admin', 'GET', '/team')).default_package_id === 'pkg-standard', 'team default saved');
  await checkLabels(page, 'Certn settings');
  env.publishDocsImage(await env.screenshot(page, 'admin-certn-settings'), 'certn-settings');

  // Rotating the webhook secret keeps the old one for a grace period.
  await page.getByRole('button', { name: 'Rotate webhook secret' }).click();
  await page.getByRole('dialog').getByLabel('New webhook secret', { exact: true }).fill('demo-webhook-secret-rotated');
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
  await waitText(page.getByRole('alert'), 'The webhook secret was rotated.');
  await waitText(page.locator('.hint'), 'The previous secret stays valid until');

  // Jobs and the interview plan.
  await page.getByRole('link', { name: 'Jobs & interview plans' }).click();
  await page.getByLabel('Job title', { exact: true }).fill('Backend Engineer');
  await page.getByRole('button', { name: 'Create job' }).click();
  await page.getByRole('heading', { name: 'Backend Engineer', level: 1 }).waitFor();
  for (const name of ['Applied', 'Background check', 'Offer', 'Temp']) {
    await page.getByLabel('New stage name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Add stage' }).click();
    const count = ['Applied', 'Background check', 'Offer', 'Temp'].indexOf(name) + 1;
    await page.waitForFunction((n) => document.querySelectorAll('#plan-stages input[name="stage_name"]').length === n
      && !document.querySelector('form[aria-label="Add a stage"] button').disabled, count);
  }
  const stageNames = async () => page.locator('#plan-stages input[name="stage_name"]').evaluateAll((els) => els.map((e) => e.value));
  // Rename, reorder (keyboard), remove.
  await page.getByLabel('Stage 4 name', { exact: true }).fill('Onsite');
  await page.getByRole('button', { name: 'Rename stage Temp' }).click();
  await page.getByRole('button', { name: 'Move Onsite up' }).waitFor();
  await page.getByRole('button', { name: 'Move Onsite up' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#plan-stages input[name="stage_name"]')].map((e) => e.value).join() === 'Applied,Background check,Onsite,Offer');
  await page.getByRole('button', { name: 'Remove stage Offer' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#plan-stages input[name="stage_name"]').length === 3);
  assert((await stageNames()).join() === 'Applied,Background check,Onsite', `stages: ${await stageNames()}`);

  // Add activity → Certn background check → package dropdown from Certn → auto-send.
  await page.getByRole('button', { name: 'Add activity to Background check' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Activity', { exact: true }).selectOption('certn_background_check');
  await dialog.getByLabel('Package', { exact: true }).locator('option[value="pkg-basic"]').waitFor({ state: 'attached' });
  const offered = await dialog.getByLabel('Package', { exact: true }).locator('option').allTextContents();
  assert(!offered.includes('Tenant screening'), `tenant-only package offered: ${offered}`);
  await dialog.getByLabel('Package', { exact: true }).selectOption('pkg-basic');
  await dialog.getByLabel('Auto-send when an application enters this stage', { exact: true }).check();
  await dialog.getByRole('button', { name: 'Add activity' }).click();
  await waitText(page.locator('#plan-stages .activity'), 'Package: Basic criminal record');
  const plan = async () => (await env.api('admin', 'GET', `/jobs/${(await env.api('admin', 'GET', '/jobs')).items[0].id}/interview-plan`));
  let activity = (await plan()).stages[1].activities[0];
  assert(activity.kind === 'certn_background_check' && activity.settings.package_id === 'pkg-basic' && activity.settings.auto_send === true,
    `activity: ${JSON.stringify(activity)}`);
  // The auto-send toggle on the plan.
  const toggle = page.getByLabel('Send automatically when an application enters this stage', { exact: true });
  await toggle.uncheck();
  await page.waitForFunction(() => !document.querySelector('.auto-send').disabled);
  activity = (await plan()).stages[1].activities[0];
  assert(activity.settings.auto_send === false, 'auto-send turned off');

  // Job default package.
  await page.getByLabel('Job default package', { exact: true }).selectOption('pkg-professional');
  await page.getByRole('button', { name: 'Save job' }).click();
  await waitText(page.getByRole('alert'), 'The job was saved.');
  await checkLabels(page, 'interview plan');
  env.publishDocsImage(await env.screenshot(page, 'admin-interview-plan'), 'interview-plan');

  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await checkNoHorizontalOverflow(page, 'interview plan at phone width');
  await env.screenshot(page, 'admin-interview-plan-phone');

  await page.setViewportSize({ width: 1280, height: 800 });
  // The delivery log: a check sent now shows up as Certn's webhook arrives.
  const jobId = (await env.api('admin', 'GET', '/jobs')).items[0].id;
  const sentPlan = await env.api('admin', 'GET', `/jobs/${jobId}/interview-plan`);
  const sentCandidate = await env.api('admin', 'POST', '/candidates', { first_name: 'Dee', last_name: 'Livery', email: 'dee@example.com' });
  const sentApp = await env.api('admin', 'POST', '/applications', { candidate_id: sentCandidate.id, job_id: jobId });
  await env.api('admin', 'POST', `/applications/${sentApp.id}/background-checks`, { activity_id: sentPlan.stages[1].activities[0].id });
  await page.getByRole('link', { name: 'Certn settings' }).click();
  const log = page.locator('#certn-deliveries');
  for (let attempt = 0; attempt < 50; attempt += 1) {  // the webhook arrives within moments; reload until it is listed
    if (await log.locator('li.delivery').count() > 0) break;
    await page.reload();
    await page.locator('#certn-deliveries').waitFor({ state: 'attached' });
  }
  await waitText(log.locator('li.delivery').first(), 'Case status changed');
  await waitText(log.locator('li.delivery').first(), 'Applied to the check');
  await log.locator('li.delivery').first().getByRole('button', { name: /Fetch the case/ }).click();
  await waitText(page.locator('#notice'), 'Stagecheck will fetch this case from Certn again.');
  const logText = await log.textContent();
  assert(!/applied|CASE_STATUS|_/.test(logText.replace('Applied', '')), `system words in the delivery log: ${logText}`);
  await env.screenshot(page, 'admin-deliveries');

  checkNoConsoleErrors(page);
}

async function recruiter(env) {
  await env.connectCertn();
  const { job } = await env.jobWithPlan('Data Analyst', ['Applied', 'Background check', 'Offer'],
    { 'Background check': { package_id: 'pkg-standard', auto_send: false } });
  const page = await env.newPage();
  page.allowHttpError(/\/report$/, 409);  // the report before completion
  await env.signIn(page, 'recruiter');
  await page.waitForURL(/#\/candidates$/);
  assert(await page.getByRole('link', { name: 'Certn settings' }).count() === 0, 'recruiters see no admin settings');

  // Create a candidate (with tags and email), then an application.
  await page.getByLabel('First name', { exact: true }).fill('Ada');
  await page.getByLabel('Last name', { exact: true }).fill('Lovelace');
  await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
  await page.getByLabel('Tags', { exact: true }).fill('engineering, referral');
  await page.getByRole('button', { name: 'Create candidate' }).click();
  await page.getByRole('heading', { name: 'Ada Lovelace', level: 1 }).waitFor();
  await page.getByLabel('Job', { exact: true }).selectOption(job.id);
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: 'Ada Lovelace — Data Analyst' }).waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });

  // Every stage is shown; send from the Background check stage's activity.
  const stages = await page.locator('#application-stages > li h3').allTextContents();
  assert(stages.length === 3 && stages[0].startsWith('Applied'), `stages: ${stages}`);
  await page.getByRole('button', { name: 'Send background check (Background check)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send background check' });
  await dialog.getByLabel('Package', { exact: true }).locator('option[value="pkg-standard"]').waitFor({ state: 'attached' });
  assert(await dialog.getByLabel('Package', { exact: true }).inputValue() === 'pkg-standard', 'the stage package is preselected');
  await dialog.getByLabel('Package', { exact: true }).selectOption('pkg-basic');  // changeable
  await dialog.getByLabel('Package', { exact: true }).selectOption('pkg-standard');
  await dialog.getByRole('button', { name: 'Send' }).click();
  const check = page.locator('#application-stages .check').first();
  await waitText(page.locator('#notice'), 'The background check is on its way to Certn');
  await waitText(check.locator('.badge'), 'Pending');
  await waitText(check.locator('.package-name'), 'Standard employment screening');
  // One vocabulary on the card: Lever's tag and Kula's label are details.
  await waitAttachedText(check.locator('.labels'), 'Lever tag: CERTN - Pending');
  await waitAttachedText(check.locator('.labels'), 'Kula: Invitation completed');
  assert(await check.locator('.badge').count() === 1, 'one status badge on the card');

  // A candidate form opened now and saved after Certn moved the check on is
  // refused (412): it cannot put back the stale status tag.
  const stale = await env.newPage();
  await env.signIn(stale, 'recruiter');
  const candidateId = (await env.api('recruiter', 'GET', '/candidates')).items.find((c) => c.email === 'ada@example.com').id;
  await stale.goto(`${env.baseUrl}/#/candidates/${candidateId}`);
  await stale.getByRole('heading', { name: 'Ada Lovelace', level: 1 }).waitFor();
  await waitText(stale.locator('#system-tags'), 'CERTN - Pending');
  assert(await stale.getByLabel('Tags', { exact: true }).inputValue() === 'engineering, referral', 'the tags field holds only the recruiter\'s tags');

  // The report is not ready before completion: said in words. The panel stays
  // open and refreshes by itself once Certn completes the check.
  await check.getByRole('button', { name: 'View report' }).click();
  await waitText(page.locator('#report'), 'The report is not ready yet.');
  assert(await page.locator('#report').evaluate((el) => el.getBoundingClientRect().top < window.innerHeight),
    'the report panel was scrolled into view');

  // Certn advances the case and calls the signed webhook; the tab follows
  // without a reload.
  const cases = (await env.control('GET', '/_control/cases')).cases;
  const certnCase = cases.find((c) => c.email_address === 'ada@example.com');
  assert(certnCase, 'the fake Certn received the order');
  await env.control('POST', `/_control/cases/${certnCase.id}/advance`, { status: 'IN_PROGRESS' });
  await waitText(check.locator('.badge'), /Partial|In progress/);
  stale.allowHttpError(/\/api\/v1\/candidates\//, 412);
  await stale.getByLabel('Tags', { exact: true }).fill('engineering, referral, CERTN - Complete');
  await stale.getByRole('button', { name: 'Save candidate' }).click();
  await waitText(stale.getByRole('alert'), 'Someone changed this since you opened it.');
  const server = await env.api('recruiter', 'GET', `/candidates/${candidateId}`);
  const current = /CERTN - (Analyzing|Partial)/;
  assert(server.system_tags.length === 1 && current.test(server.system_tags[0]) && server.tags.join() === 'engineering,referral',
    `the stale save changed the candidate: ${JSON.stringify(server)}`);
  // Reload shows the server's state; a save from it goes through, and a
  // system tag typed into the tags field is ignored.
  await stale.getByRole('button', { name: 'Reload candidate' }).click();
  await waitText(stale.locator('#system-tags'), server.system_tags[0]);
  await stale.getByLabel('Tags', { exact: true }).fill('engineering, referral, CERTN - Complete');
  await stale.getByRole('button', { name: 'Save candidate' }).click();
  await waitText(stale.getByRole('alert'), 'The candidate was saved.');
  const saved = await env.api('recruiter', 'GET', `/candidates/${candidateId}`);
  assert(JSON.stringify(saved.system_tags) === JSON.stringify(server.system_tags) && saved.tags.join() === 'engineering,referral',
    `a system tag typed by a person was stored: ${JSON.stringify(saved)}`);
  await env.screenshot(stale, 'recruiter-stale-candidate-form');
  checkNoConsoleErrors(stale);
  await stale.context().close();
  await env.control('POST', `/_control/cases/${certnCase.id}/advance`, { status: 'COMPLETE' });
  // A clear result is the only green one.
  await waitText(check.locator('.badge'), 'Complete · Clear');
  assert(await badgeColour(check.locator('.badge')) === GREEN, `a clear check is green: ${await badgeColour(check.locator('.badge'))}`);
  await waitText(page.locator('#report table'), 'Criminal Record');
  const resultsLink = check.getByRole('link', { name: 'Open results' });
  await resultsLink.waitFor();
  await waitAttachedText(check.locator('.labels'), 'Lever tag: CERTN - Complete');
  assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
  const { deliveries } = await env.control('GET', '/_control/deliveries');
  const accepted = deliveries.filter((d) => d.object_id === certnCase.id && d.signed_correctly && d.status >= 200 && d.status < 300);
  assert(accepted.some((d) => d.event_type === 'CASE_STATUS_CHANGED'), `signed webhooks were accepted: ${JSON.stringify(deliveries)}`);

  // History, inline report, and the PDF (byte-identical to what Certn serves).
  await check.locator('summary').click();
  await waitText(check.locator('.history li'), /→ Complete/);
  const historyText = await check.locator('.history').textContent();
  assert(!/\b(fetch|auto_send|ad_hoc|in_progress)\b/.test(historyText), `system words in the history: ${historyText}`);
  const download = check.getByRole('button', { name: 'Download PDF' });
  await download.waitFor();
  await check.getByRole('button', { name: 'View report' }).click();
  await waitText(page.locator('#report table'), 'Criminal Record');
  await waitText(page.locator('#report'), certnCase.short_id);
  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  const downloaded = readFileSync(await file.path());
  const finished = (await env.control('GET', '/_control/cases')).cases.find((c) => c.id === certnCase.id);
  // Certn hands out a short-lived URL for the file; the bytes come from there.
  const reportFile = await (await fetch(`${env.certnUrl}/api/public/cases/report-files/${finished.report_file_id}/`,
    { headers: { Authorization: 'Api-Key demo-certn-api-key' } })).json();
  const fromCertn = Buffer.from(await (await fetch(reportFile.url)).arrayBuffer());
  assert(fromCertn.length > 100 && fromCertn.subarray(0, 5).toString() === '%PDF-', 'the fake served a PDF');
  assert(Buffer.compare(downloaded, fromCertn) === 0, `the downloaded PDF (${downloaded.length} bytes) differs from Certn's (${fromCertn.length})`);
  assert(file.suggestedFilename() === `Certn_Report_${certnCase.short_id}.pdf`, `file name ${file.suggestedFilename()}`);
  await waitText(page.locator('#activity-feed'), 'Certn status: Complete');
  await checkLabels(page, 'application tab');
  const shot = await env.screenshot(page, 'recruiter-application-tab');
  env.publishDocsImage(shot);

  // The results link opens a page a person can read, in a fresh browser:
  // first a sign-in, then the check with its report. Never JSON.
  const href = await resultsLink.getAttribute('href');
  assert(new RegExp(`^${env.baseUrl}/checks/[^/]+$`).test(href), `results link ${href}`);
  const fresh = await env.newPage();
  const opened = await fresh.goto(href);
  assert((opened.headers()['content-type'] || '').startsWith('text/html'), `the results link answered ${opened.headers()['content-type']}`);
  await fresh.getByLabel('API token', { exact: true }).fill(env.recruiterToken);
  await fresh.getByRole('button', { name: 'Sign in' }).click();
  await fresh.getByRole('heading', { name: 'Background check — Ada Lovelace', level: 1 }).waitFor();
  await waitText(fresh.locator('#report table'), 'Criminal Record');
  await waitText(fresh.locator('#check-summary .badge'), 'Complete');
  const body = await fresh.locator('body').textContent();
  assert(!body.includes('"code"') && !body.includes('{"'), 'the results page shows no JSON');
  env.publishDocsImage(await env.screenshot(fresh, 'recruiter-results-page'), 'results-page');
  checkNoConsoleErrors(fresh);
  await fresh.context().close();

  // The candidate profile: files, feed, ad-hoc send.
  await page.getByRole('link', { name: 'Candidate profile' }).click();
  await waitText(page.locator('#candidate-files'), `Certn_Report_${certnCase.short_id}.pdf`);
  await page.locator('#activity-feed li').first().waitFor();
  // Ad hoc: the same confirmation dialog; two sends in a row order once.
  page.allowHttpError(/\/background-checks$/, 409);
  const ordersBefore = (await env.control('GET', '/_control/cases')).cases.filter((c) => c.email_address === 'ada@example.com').length;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    await page.getByRole('button', { name: 'Send background check' }).click();
    const adhoc = page.getByRole('dialog', { name: 'Send background check' });
    await waitText(adhoc, 'Certn emails Ada Lovelace at ada@example.com an invitation.');
    await adhoc.getByLabel('Package', { exact: true }).locator('option[value="pkg-basic"]').waitFor({ state: 'attached' });
    await adhoc.getByLabel('Package', { exact: true }).selectOption('pkg-basic');
    await adhoc.getByRole('button', { name: 'Send' }).dblclick();
    if (attempt === 0) {
      await adhoc.waitFor({ state: 'detached' });
      await waitText(page.locator('#adhoc-checks .badge'), 'Pending');
    } else {
      await waitText(adhoc.getByRole('alert'), 'A background check like this one is already in progress');
      await page.keyboard.press('Escape');
      await adhoc.waitFor({ state: 'detached' });
    }
  }
  const ordersAfter = (await env.control('GET', '/_control/cases')).cases.filter((c) => c.email_address === 'ada@example.com').length;
  assert(ordersAfter === ordersBefore + 1, `ad-hoc sends ordered ${ordersAfter - ordersBefore} cases`);
  await waitText(page.locator('#adhoc-checks .package-name'), 'Basic criminal record');
  // A result that needs review says so, in amber, with Kula's view agreeing.
  const review = await env.api('recruiter', 'POST', '/candidates',
    { first_name: 'Rita', last_name: 'Review', email: 'rita+review@example.com' });
  const reviewCheck = await env.api('recruiter', 'POST', `/candidates/${review.id}/background-checks`, { package_id: 'pkg-basic' });
  // Until Certn has the order: a poll of the API with a deadline.
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) {
    if ((await env.api('recruiter', 'GET', `/background-checks/${reviewCheck.id}`)).certn_case_id) break;
  }
  const reviewCase = (await env.api('recruiter', 'GET', `/background-checks/${reviewCheck.id}`)).certn_case_id;
  assert(reviewCase, 'Certn got the order');
  await env.control('POST', `/_control/cases/${reviewCase}/advance`, { status: 'COMPLETE' });
  const reviewPage = await env.newPage();
  // The page may load before the webhook's case fetch (due a second after the
  // delivery, so a burst is one fetch) has applied COMPLETE.
  reviewPage.allowHttpError(/\/report$/, 409);
  await env.signIn(reviewPage, 'recruiter');
  await reviewPage.goto(`${env.baseUrl}/checks/${reviewCheck.id}`);
  const reviewBadge = reviewPage.locator('#check-summary .badge');
  await waitText(reviewBadge, 'Complete · Needs review');
  const amber = await badgeColour(reviewBadge);
  assert(amber !== GREEN && amber === 'rgb(138, 75, 0)', `a check to review is amber, not green: ${amber}`);
  await waitAttachedText(reviewPage.locator('#check-summary .labels'), 'Kula: Needs review');
  await waitText(reviewPage.locator('#report'), 'Needs review');
  env.publishDocsImage(await env.screenshot(reviewPage, 'recruiter-needs-review'), 'needs-review');
  checkNoConsoleErrors(reviewPage);
  await reviewPage.context().close();

  // The status tag follows the new check on this page, and the form still saves.
  await waitText(page.locator('#system-tags'), 'CERTN - Pending');
  await page.getByRole('button', { name: 'Save candidate' }).click();
  await waitText(page.getByRole('alert'), 'The candidate was saved.');
  await checkLabels(page, 'candidate profile');
  env.publishDocsImage(await env.screenshot(page, 'recruiter-candidate-profile'), 'candidate-profile');

  // Lists paginate.
  for (let i = 0; i < 21; i += 1) {
    await env.api('recruiter', 'POST', '/candidates', { first_name: `Extra${i}`, last_name: 'Person' });
  }
  await page.getByRole('link', { name: 'Candidates', exact: true }).click();
  await page.locator('#candidate-list li').nth(19).waitFor();
  assert(await page.locator('#candidate-list li').count() === 20, 'the first page has 20 candidates');
  await page.getByRole('button', { name: 'Show more' }).click();
  await page.locator('#candidate-list li').nth(21).waitFor();
  assert(await page.getByRole('button', { name: 'Show more' }).isHidden(), 'the last page hides Show more');
  await env.screenshot(page, 'recruiter-candidates');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goBack();
  await page.goBack();
  await page.getByRole('heading', { name: 'Ada Lovelace — Data Analyst' }).waitFor();
  await checkNoHorizontalOverflow(page, 'application tab at phone width');
  await env.screenshot(page, 'recruiter-application-tab-phone');
  checkNoConsoleErrors(page);
}

async function errorsAndRoles(env) {
  await env.connectCertn();
  const { job } = await env.jobWithPlan('Support Lead', ['Applied', 'Screening'],
    { Screening: { package_id: 'pkg-basic', auto_send: true } });
  const page = await env.newPage();
  page.allowHttpError(/\/background-checks$/, 422);  // the no-email send
  await env.signIn(page, 'recruiter');

  // A recruiter cannot reach admin settings, not even by typing the address.
  assert(await page.getByRole('link', { name: 'Certn settings' }).count() === 0, 'no admin link for recruiters');
  await page.goto(`${env.baseUrl}/#/admin/certn`);
  await waitText(page.getByRole('alert'), 'only available to team admins');
  assert(await page.getByLabel('Certn API key', { exact: true }).count() === 0, 'the admin form is not shown');
  await page.goto(`${env.baseUrl}/#/admin/jobs`);
  await waitText(page.getByRole('alert'), 'only available to team admins');
  await env.screenshot(page, 'recruiter-admin-denied');

  // No email: the send fails with a sentence, never raw JSON.
  await page.getByRole('link', { name: 'Candidates', exact: true }).click();
  await page.getByLabel('First name', { exact: true }).fill('Grace');
  await page.getByLabel('Last name', { exact: true }).fill('Hopper');
  await page.getByRole('button', { name: 'Create candidate' }).click();
  await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
  await page.getByLabel('Job', { exact: true }).selectOption(job.id);
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { name: 'Grace Hopper — Support Lead' }).waitFor();
  await page.getByRole('button', { name: 'Send background check (Screening)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send background check' });
  await dialog.getByLabel('Package', { exact: true }).locator('option[value="pkg-basic"]').waitFor({ state: 'attached' });
  await waitText(dialog, 'The candidate has no email address: add one to their profile, then send again.');
  await dialog.getByRole('button', { name: 'Send' }).click();
  const error = dialog.getByRole('alert');
  await waitText(error, 'This candidate has no email address.');
  const text = await error.textContent();
  assert(!text.includes('{') && !text.includes('no_email') && !text.includes('problem'), `error text: ${text}`);
  await checkLabels(page, 'send dialog');
  await env.screenshot(page, 'recruiter-no-email-error');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  // The manual send leaves the same error state as an auto-send.
  const manualError = page.locator('#application-stages > li', { hasText: 'Screening' }).locator('.check').first();
  await waitText(manualError.locator('.badge'), 'Error');
  await waitText(manualError.locator('.state-line'), 'The candidate has no email address: add one to their profile, then send again.');
  await waitAttachedText(manualError.locator('.labels'), 'CERTN - Error (No Email)');

  // Auto-send on stage move: without an email it records the error…
  await page.getByLabel('Move to stage', { exact: true }).selectOption({ label: 'Screening' });
  await page.getByRole('button', { name: 'Move application' }).click();
  const screening = page.locator('#application-stages > li', { hasText: 'Screening' });
  await waitText(screening.locator('h3'), 'Current stage');
  await waitText(screening.locator('.badge[data-status]'), 'Error');
  await waitAttachedText(screening.locator('.labels'), 'CERTN - Error (No Email)');
  // …and once the candidate has an email, moving in again sends it.
  await page.getByRole('link', { name: 'Candidate profile' }).click();
  await page.getByLabel('Email', { exact: true }).fill('grace@example.com');
  await page.getByRole('button', { name: 'Save candidate' }).click();
  await waitText(page.getByRole('alert'), 'The candidate was saved.');
  await page.goBack();
  await page.getByRole('heading', { name: 'Grace Hopper — Support Lead' }).waitFor();
  await page.getByLabel('Move to stage', { exact: true }).selectOption({ label: 'Applied' });
  await page.getByRole('button', { name: 'Move application' }).click();
  await waitText(page.getByRole('alert'), 'The application was moved.');
  await page.getByLabel('Move to stage', { exact: true }).selectOption({ label: 'Screening' });
  await page.getByRole('button', { name: 'Move application' }).click();
  await waitText(page.getByRole('alert'), 'A background check was sent automatically.');
  await waitText(screening.locator('.check').first().locator('.badge'), 'Pending');
  const cases = (await env.control('GET', '/_control/cases')).cases;
  assert(cases.some((c) => c.email_address === 'grace@example.com' && c.package === 'pkg-basic'), 'Certn got the auto-sent order');
  await env.screenshot(page, 'recruiter-auto-send');

  // Certn's error reasons, each as a sentence with the next step.
  const sent = (await env.control('GET', '/_control/cases')).cases.find((c) => c.email_address === 'grace@example.com');
  await env.control('POST', `/_control/cases/${sent.id}/advance`, { status: 'INVITE_UNDELIVERABLE' });
  await waitText(screening.locator('.check').first().locator('.state-line'),
    'The invitation email bounced: correct the address and send again.');
  const badge = screening.locator('.check').first().locator('.badge');
  assert(await badge.textContent() === 'Error', `badge: ${await badge.textContent()}`);
  const sentences = await page.evaluate(async () => {
    const api = await import('/console/api.js');
    return Object.fromEntries(['no_email', 'invite_undeliverable', 'applicant_expired', 'applicant_declined',
      'report_failed: unavailable', 'certn_rejected', 'something_new'].map((r) => [r, api.reasonSentence(r)]));
  });
  for (const [reason, sentence] of Object.entries(sentences)) {
    assert(sentence.length > 20 && !sentence.includes('HTTP') && !sentence.includes('_'), `reason ${reason}: ${sentence}`);
  }
  assert(sentences.applicant_expired.includes('expired'), `applicant_expired: ${sentences.applicant_expired}`);
  await env.screenshot(page, 'recruiter-bounced-invitation');

  // Keyboard: the skip link is the first stop and the focus is visible.
  await page.reload();
  await page.getByRole('heading', { name: 'Grace Hopper — Support Lead' }).waitFor();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({
    text: document.activeElement.textContent,
    visible: document.activeElement.matches(':focus-visible'),
    outline: getComputedStyle(document.activeElement).outlineStyle,
  }));
  assert(focused.text === 'Skip to content' && focused.visible && focused.outline !== 'none', `first tab stop: ${JSON.stringify(focused)}`);
  checkNoConsoleErrors(page);
}

// States a person must understand without knowing the API: Certn not
// connected yet, and Certn not answering.
async function states(env) {
  const job = await env.api('admin', 'POST', '/jobs', { title: 'Courier' });
  await env.api('admin', 'POST', `/jobs/${job.id}/interview-plan/stages`, { name: 'Applied' });
  const lin = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Lin', last_name: 'Chen', email: 'lin@example.com' });
  const page = await env.newPage();
  page.allowHttpError(/\/integrations\/certn\/packages$/, 422);
  await env.signIn(page, 'recruiter');
  await page.goto(`${env.baseUrl}/#/candidates/${lin.id}`);
  await page.getByRole('heading', { name: 'Lin Chen', level: 1 }).waitFor();

  // Not connected: the dialog says so and cannot send (no endless "Loading…").
  await page.getByRole('button', { name: 'Send background check' }).click();
  let dialog = page.getByRole('dialog', { name: 'Send background check' });
  await waitText(dialog.getByRole('alert'), 'Certn is not connected for this team. An admin can connect it under Certn settings.');
  assert(await dialog.getByRole('button', { name: 'Send' }).isDisabled(), 'Send is disabled while Certn is not connected');
  const options = await dialog.getByLabel('Package', { exact: true }).locator('option').allTextContents();
  assert(!options.some((o) => o.includes('Loading')), `package options: ${options}`);
  await env.screenshot(page, 'recruiter-send-not-connected');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // Certn down: the check waits as "Sending", then says Certn is not
  // answering; nothing ever claims it was sent.
  await env.connectCertn();
  await env.control('POST', '/_control/faults', { endpoint: 'order_package', status: 503, times: -1 });
  await page.getByRole('button', { name: 'Send background check' }).click();
  dialog = page.getByRole('dialog', { name: 'Send background check' });
  await dialog.getByLabel('Package', { exact: true }).locator('option[value="pkg-basic"]').waitFor({ state: 'attached' });
  await dialog.getByLabel('Package', { exact: true }).selectOption('pkg-basic');
  await dialog.getByRole('button', { name: 'Send' }).click();
  await dialog.waitFor({ state: 'detached' });
  const toast = await page.locator('#notice').textContent();
  assert(!/\bsent\b/i.test(toast), `the toast claims a send: ${toast}`);
  await waitText(page.locator('#adhoc-checks .badge'), 'Sending');
  await page.locator('#adhoc-checks .state-line').filter({ hasText: 'Certn is not answering; we keep trying.' })
    .first().waitFor({ timeout: 45000 });
  await env.screenshot(page, 'recruiter-certn-not-answering');
  await env.control('DELETE', '/_control/faults');
  // Certn answers again and the admin saves the settings: what was backing off
  // is sent now. Waiting for it keeps this order out of the daily-limit steps
  // below (an order whose attempt is in flight while the limit is raised is
  // not hurried along by the raise; it waits for its deferral).
  await env.api('admin', 'PUT', '/integrations/certn', { requests_per_day: 7220 });
  await page.locator('#adhoc-checks .state-line').filter({ hasText: 'Certn is not answering' })
    .first().waitFor({ state: 'detached', timeout: 30000 });

  // Certn's daily budget spent: the server says why the check waits and when it goes.
  await env.api('admin', 'PUT', '/integrations/certn', { requests_per_day: 1 });
  await env.api('recruiter', 'POST', `/candidates/${lin.id}/background-checks`, { package_id: 'pkg-standard' });
  await page.reload();
  const waiting = page.locator('#adhoc-checks .state-line.waiting');
  await waitText(waiting.first(), "Certn's daily limit is reached; sending resumes at 00:00 UTC.");
  const colour = await waiting.first().evaluate((el) => getComputedStyle(el).color);
  assert(colour === 'rgb(138, 75, 0)', `the waiting line is amber, not ${colour}`);
  await env.screenshot(page, 'recruiter-certn-daily-limit');
  // Raised again: whatever waited is sent, and the line goes.
  await env.api('admin', 'PUT', '/integrations/certn', { requests_per_day: 7220 });
  await page.locator('#adhoc-checks .state-line.waiting').first().waitFor({ state: 'detached', timeout: 30000 });
  checkNoConsoleErrors(page);
}

// Cancel (with a confirmation and a reason), re-order after a cancel, and an
// expired invitation shown as expired with Re-order beside it.
async function cancelReorder(env) {
  await env.connectCertn();
  const { job, stages, activities } = await env.jobWithPlan('Driver', ['Applied', 'Background check'],
    { 'Background check': { package_id: 'pkg-basic' } });
  const sam = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Sam', last_name: 'Rivera', email: 'sam@example.com' });
  const app = await env.api('recruiter', 'POST', '/applications', { candidate_id: sam.id, job_id: job.id });
  await env.api('recruiter', 'POST', `/applications/${app.id}/move`, { stage_id: stages['Background check'] });
  const sent = await env.api('recruiter', 'POST', `/applications/${app.id}/background-checks`, { activity_id: activities['Background check'] });
  await certnCaseOf(env, sent.id);

  const page = await env.newPage();
  await env.signIn(page, 'recruiter');
  await page.goto(`${env.baseUrl}/#/applications/${app.id}`);
  const card = page.locator(`.check[data-check-id="${sent.id}"]`);
  await waitText(card.locator('.badge'), 'Pending');

  // Cancel asks first; "Keep it" changes nothing.
  await card.getByRole('button', { name: 'Cancel check' }).click();
  let dialog = page.getByRole('dialog', { name: 'Cancel this background check?' });
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert((await env.api('recruiter', 'GET', `/background-checks/${sent.id}`)).cancellation === null, 'Keep it cancelled nothing');
  await card.getByRole('button', { name: 'Cancel check' }).click();
  dialog = page.getByRole('dialog', { name: 'Cancel this background check?' });
  await dialog.getByLabel('Reason (optional, shown in the activity feed)').fill('The candidate withdrew');
  await env.screenshot(page, 'recruiter-cancel-confirm');
  await dialog.getByRole('button', { name: 'Cancel the check' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitText(card.locator('.badge'), 'Cancelled');
  await waitText(card.locator('.state-line'), 'Cancelled by you: “The candidate withdrew”. Re-order it to send a new one.');
  const line = await card.locator('.state-line').textContent();
  assert(!line.includes(sent.id) && !line.includes('cancelled_by_user'), `no ids or codes: ${line}`);
  await env.screenshot(page, 'recruiter-cancelled');

  // Re-order: a fresh check, linked to the cancelled one.
  await card.getByRole('button', { name: 'Re-order' }).click();
  const fresh = page.locator('.activity.certn > .check').first();
  await fresh.locator('.badge').filter({ hasText: /Sending|Pending/ }).waitFor();
  const checks = await env.api('recruiter', 'GET', `/applications/${app.id}`);
  const view = checks.stages.flatMap((st) => st.activities).find((a) => a.id === activities['Background check']);
  assert(view.background_check.reordered_from === sent.id, `re-ordered from the cancelled check: ${JSON.stringify(view.background_check)}`);
  await env.screenshot(page, 'recruiter-reordered');

  // An expired invitation reads as expired, with Re-order beside it.
  const caseId = await certnCaseOf(env, view.background_check.id);
  await env.control('POST', `/_control/cases/${encodeURIComponent(caseId)}/advance`, { status: 'APPLICANT_EXPIRED' });
  const expired = page.locator(`.check[data-check-id="${view.background_check.id}"]`);
  await waitText(expired.locator('.badge'), 'Expired');
  await waitText(expired.locator('.state-line'), 'The invitation expired before the candidate finished: send a new one.');
  await expired.getByRole('button', { name: 'Re-order' }).waitFor();
  await env.screenshot(page, 'recruiter-expired-reorder');
  checkNoConsoleErrors(page);
}

// Waits (bounded) until the check of `checkId` has its Certn case.
async function certnCaseOf(env, checkId) {
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) {
    const check = await env.api('recruiter', 'GET', `/background-checks/${checkId}`);
    if (check.certn_case_id) return check.certn_case_id;
  }
  return assert(false, 'Certn never got the order');
}

// Deliveries whose signature fails are refused and not stored; the Certn
// settings page still tells the admin, with a banner.
async function deliveriesBanner(env) {
  await env.connectCertn();
  const sig = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Sig', last_name: 'Nature', email: 'sig@example.com' });
  const check = await env.api('recruiter', 'POST', `/candidates/${sig.id}/background-checks`, { package_id: 'pkg-basic' });
  const caseId = await certnCaseOf(env, check.id);

  const page = await env.newPage();
  const summaryRead = () => page.waitForResponse((r) => r.url().endsWith('/deliveries/refused-summary'));
  let read = summaryRead();
  await env.signIn(page, 'admin');
  await page.waitForURL(/#\/admin\/certn$/);
  assert((await (await read).json()).failed_signature === 0, 'no failures yet');
  await waitText(page.locator('#certn-status'), 'Connected');
  assert(await page.locator('#webhook-banner').isHidden(), 'a banner while every delivery verifies');

  // Certn signs with a secret other than the team's (say, an old one).
  for (let i = 0; i < 14; i += 1) {
    const body = JSON.stringify({ id: `evt-wrong-secret-${i}`, event_type: 'CASE_STATUS_CHANGED', object_id: caseId, object_type: 'CASE' });
    const r = await fetch(env.webhookUrl, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/json', 'X-Signature': createHmac('sha256', 'an-old-webhook-secret-0000').update(body).digest('hex') },
    });
    assert(r.status === 401, `a wrongly signed delivery answered ${r.status}`);
  }
  read = summaryRead();
  await page.reload();
  await read;
  const banner = page.locator('#webhook-banner');
  await waitText(banner, '14 deliveries in the last hour failed signature verification: the webhook secret in Certn may not match.');
  assert(await banner.getAttribute('role') === 'alert', 'the banner is announced');
  // Refused deliveries stay out of the stored log.
  const log = await env.api('admin', 'GET', '/integrations/certn/deliveries?limit=100');
  assert(!log.items.some((d) => d.delivery_id.startsWith('evt-wrong-secret')), `a refused delivery was stored: ${JSON.stringify(log.items)}`);
  await checkLabels(page, 'Certn settings with the banner');
  env.publishDocsImage(await env.screenshot(page, 'admin-webhook-banner'), 'webhook-banner');
  checkNoConsoleErrors(page);
}

// `fake-certn --demo` moves every new case by itself (invited → started → in
// progress → complete); a fast step keeps this test short. Stagecheck reaches
// it per region, as deploy/demo.sh does.
async function demo(env) {
  const page = await env.newPage();
  page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);
  await env.signIn(page, 'admin');
  await page.waitForURL(/#\/admin\/certn$/);
  // The demo account lives in North America: on another region its key is refused.
  await page.getByLabel('Certn API key', { exact: true }).fill('demo-certn-api-key');
  await page.getByLabel('Region', { exact: true }).selectOption('uk_emea');
  await page.getByLabel('Webhook secret', { exact: true }).fill('demo-webhook-secret');
  await page.getByRole('button', { name: 'Connect' }).click();
  await waitText(page.locator('#certn-status'), 'Not connected: Certn did not accept this API key: check the key and the region');
  await env.screenshot(page, 'demo-wrong-region');
  await page.getByLabel('Certn API key', { exact: true }).fill('demo-certn-api-key');
  await page.getByLabel('Region', { exact: true }).selectOption('north_america');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await waitText(page.locator('#certn-status'), 'Connected');

  const dana = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Dana', last_name: 'Demo', email: 'dana@example.com' });
  const sent = await env.api('recruiter', 'POST', `/candidates/${dana.id}/background-checks`, { package_id: 'pkg-standard' });
  const results = await env.newPage();
  results.allowHttpError(/\/report$/, 409);  // the report before completion
  await env.signIn(results, 'recruiter');
  await results.goto(`${env.baseUrl}/checks/${sent.id}`);
  // Every badge the page shows, in order.
  await results.evaluate(() => {
    window.__badges = [];
    const note = () => {
      const badge = document.querySelector('#check-summary .badge');
      const text = badge && badge.textContent;
      if (text && window.__badges[window.__badges.length - 1] !== text) window.__badges.push(text);
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    note();
  });
  const badge = results.locator('#check-summary .badge');
  await badge.filter({ hasText: 'Complete · Clear' }).first().waitFor({ timeout: 60000 });
  const badges = await results.evaluate(() => window.__badges);
  const check = await env.api('recruiter', 'GET', `/background-checks/${sent.id}`);
  const moves = check.history.map((t) => t.to);
  assert(moves.includes('complete') && (moves.includes('in_progress') || moves.includes('partial')),
    `the check went through Certn's steps: ${JSON.stringify(check.history)}; the page showed ${badges.join(' → ')}`);
  assert(env.controlCalls.every((c) => c === 'POST /_control/accounts'),
    `the demo needed control calls: ${env.controlCalls.join(', ')}`);
  await waitText(results.locator('#report table'), 'Criminal Record');
  await env.screenshot(results, 'demo-complete');
  checkNoConsoleErrors(page);
  checkNoConsoleErrors(results);
}
demo.envOptions = { fakeArgs: ['--demo', '--demo-step-ms', '1500'], regionalCertn: true };

// Polls `probe` (an async function) until it answers truthy, or fails after
// `seconds`: for state the scenario sets up through the API and fake Certn.
async function eventually(probe, what, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A check's later life in the console: applications selected on the
// Applications page are sent in one bulk send whose progress view counts
// them (one skipped: it has a check already); an open check past the
// projection from its package's completed checks reads "Delayed"; the
// turnaround report lists the package.
async function lifecycle(env) {
  await env.connectCertn();
  const { job, stages, activities } = await env.jobWithPlan('Warehouse Lead', ['Applied', 'Background check'],
    { 'Background check': { package_id: 'pkg-basic' } });
  const apply = async (first, email) => {
    const c = await env.api('recruiter', 'POST', '/candidates', { first_name: first, last_name: 'Bulk', email });
    return env.api('recruiter', 'POST', '/applications', { candidate_id: c.id, job_id: job.id });
  };
  // Five completed checks of pkg-basic make the projection.
  for (let i = 0; i < 5; i++) {
    const app = await apply(`Done${i}`, `done${i}@example.com`);
    const sent = await env.api('recruiter', 'POST', `/applications/${app.id}/background-checks`, { activity_id: activities['Background check'] });
    await env.control('POST', `/_control/cases/${encodeURIComponent(await certnCaseOf(env, sent.id))}/advance`, { status: 'COMPLETE' });
    await eventually(async () => (await env.api('recruiter', 'GET', `/background-checks/${sent.id}`)).status === 'complete', 'a completed check');
  }
  const open = await apply('Olivia', 'olivia@example.com');
  await env.api('recruiter', 'POST', `/applications/${open.id}/move`, { stage_id: stages['Background check'] });
  const late = await env.api('recruiter', 'POST', `/applications/${open.id}/background-checks`, { activity_id: activities['Background check'] });
  await certnCaseOf(env, late.id);
  const fresh = [];
  for (const name of ['Pia', 'Quinn', 'Ravi']) fresh.push(await apply(name, `${name.toLowerCase()}@example.com`));

  const page = await env.newPage();
  await env.signIn(page, 'recruiter');
  await page.getByRole('link', { name: 'Applications' }).click();
  const table = page.locator('#application-table');
  for (const app of [...fresh, open]) await table.locator(`input.select-row[data-application-id="${app.id}"]`).check();
  await waitText(page.locator('#selected-count'), '4 applications selected');
  await env.screenshot(page, 'recruiter-bulk-select');
  await page.getByRole('button', { name: 'Send background check' }).click();
  await page.waitForURL(/#\/bulk-sends\//);
  await waitText(page.locator('#bulk-status'), 'Done: 3 of 4 sent to Certn.');
  await waitText(page.locator('#bulk-counts [data-state="skipped"]'), 'Skipped 1');
  const skipped = page.locator('#bulk-table tr[data-state="skipped"]');
  await waitText(skipped, 'Olivia Bulk');
  await waitText(skipped, 'It already has a background check in progress.');
  await env.screenshot(page, 'recruiter-bulk-progress');

  // The open check is soon past the p90 of checks that took about a second.
  await eventually(async () => (await env.api('recruiter', 'GET', `/background-checks/${late.id}`)).delayed, 'the check to be late', 30);
  await page.goto(`${env.baseUrl}/#/applications/${open.id}`);
  const expected = page.locator(`#expected-${late.id}`);
  await waitText(expected.locator('.badge.delayed'), 'Delayed');
  await waitText(expected, 'projected from 5 completed checks of this package');
  await env.screenshot(page, 'recruiter-check-delayed');

  await page.getByRole('link', { name: 'Turnaround' }).click();
  const row = page.locator('#turnaround-table tbody tr').first();
  await waitText(row, 'Basic');
  const cells = await row.locator('td').allTextContents();
  assert(cells[1] === '5', `five completed checks of the package: ${cells.join(' | ')}`);
  assert(cells[4] === '0%', `none needing review: ${cells.join(' | ')}`);
  await env.screenshot(page, 'recruiter-turnaround');
  checkNoConsoleErrors(page);
}

// The Applications page is the pipeline overview: filter by check status (a
// count) and by result; the URL carries the filters, so the view can be shared.
async function pipeline(env) {
  await env.connectCertn();
  const { job, activities } = await env.jobWithPlan('Support Engineer', ['Applied', 'Background check'],
    { 'Background check': { package_id: 'pkg-basic', auto_send: false } });
  const people = [['Ada', 'Lovelace', 'ada+review@example.com'], ['Grace', 'Hopper', 'grace@example.com'],
    ['Alan', 'Turing', 'alan@example.com']];
  const checks = [];
  for (const [first, last, email] of people) {
    const c = await env.api('recruiter', 'POST', '/candidates', { first_name: first, last_name: last, email });
    const app = await env.api('recruiter', 'POST', '/applications', { candidate_id: c.id, job_id: job.id });
    if (first === 'Alan') continue;  // no check sent
    checks.push((await env.api('recruiter', 'POST', `/applications/${app.id}/background-checks`,
      { activity_id: activities['Background check'] })).id);
  }
  for (const id of checks) {
    const ordered = await eventually(async () => (await env.api('recruiter', 'GET', `/background-checks/${id}`)).certn_case_id, 'the order');
    await env.control('POST', `/_control/cases/${ordered}/advance`, { status: 'COMPLETE' });
  }
  await eventually(async () => {
    const counts = await env.api('recruiter', 'GET', '/applications/counts?result=REVIEW');
    const clear = await env.api('recruiter', 'GET', '/applications/counts?result=CLEAR');
    return counts.check_status.complete === 1 && clear.check_status.complete === 1;
  }, 'both checks complete and scored');

  const page = await env.newPage();
  await env.signIn(page, 'recruiter');
  await page.getByRole('link', { name: 'Applications' }).click();
  const rows = page.locator('#application-table tbody tr');
  const counts = page.locator('#check-counts');
  await waitText(counts, 'All 3');
  await waitText(counts, 'Complete 2');
  await waitText(counts, 'Not sent 1');
  await page.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 3);

  // A count filters the table and goes into the URL.
  await counts.getByRole('button', { name: /^Complete 2/ }).click();
  await page.waitForURL(/check_status=complete/);
  await page.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 2);
  // Pressed as soon as it is picked, and still pressed once the counts reload.
  assert(await counts.getByRole('button', { name: /^Complete 2/ }).getAttribute('aria-pressed') === 'true', 'the picked count is pressed');
  assert(await counts.locator('button[data-check-status=""]').getAttribute('aria-pressed') === 'false', 'All is no longer pressed');
  assert(await page.getByLabel('Check status', { exact: true }).inputValue() === 'complete', 'the check status filter follows the count');
  const clearBadge = rows.filter({ hasText: 'Grace Hopper' }).locator('.badge');
  await waitText(clearBadge, 'Complete · Clear');
  assert(await badgeColour(clearBadge) === GREEN, 'Complete · Clear is green');
  const reviewBadge = rows.filter({ hasText: 'Ada Lovelace' }).locator('.badge');
  await waitText(reviewBadge, 'Complete · Needs review');
  assert(await badgeColour(reviewBadge) !== GREEN, 'a result to review is not green');

  // The result filter: only the check to review.
  await page.getByLabel('Result', { exact: true }).selectOption('REVIEW');
  await page.waitForURL(/result=REVIEW/);
  await page.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 1);
  await waitText(rows.first(), 'Ada Lovelace');
  await waitText(rows.first(), 'Applied');  // the current stage's name
  await waitText(rows.first(), 'Basic criminal record');
  const text = await page.locator('main').textContent();
  assert(!/[0-9a-f]{8}-[0-9a-f]{4}-/.test(text) && !text.includes('{"') && !/\b(REVIEW|complete|in_progress)\b/.test(text),
    `raw ids, codes or JSON on the page: ${text}`);
  await checkLabels(page, 'applications');
  env.publishDocsImage(await env.screenshot(page, 'recruiter-applications-filtered'), 'applications');

  // The URL is the view: opened in a fresh tab it shows the same rows and filters.
  const shared = page.url();
  const other = await env.newPage();
  await env.signIn(other, 'recruiter');
  await other.goto(shared);
  await other.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 1);
  await waitText(other.locator('#application-table tbody tr').first(), 'Ada Lovelace');
  assert(await other.getByLabel('Result', { exact: true }).inputValue() === 'REVIEW', 'the shared view keeps the result filter');
  assert(await other.getByLabel('Check status', { exact: true }).inputValue() === 'complete', 'the shared view keeps the check status');

  // Search and sort; clearing shows everyone again.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 3);
  await page.getByLabel('Search', { exact: true }).fill('turing');
  await page.waitForURL(/q=turing/);
  await page.waitForFunction(() => document.querySelectorAll('#application-table tbody tr').length === 1);
  await waitText(rows.first(), 'Not sent');
  await page.getByLabel('Search', { exact: true }).fill('');
  await page.getByLabel('Sort by', { exact: true }).selectOption('name');
  await page.waitForURL(/sort=name/);
  await page.waitForFunction(() => [...document.querySelectorAll('#application-table tbody tr td:nth-child(2) a')]
    .map((a) => a.textContent).join() === 'Ada Lovelace,Alan Turing,Grace Hopper');
  env.publishDocsImage(await env.screenshot(page, 'recruiter-applications'), 'applications-all');
  await page.setViewportSize({ width: 390, height: 844 });
  await checkNoHorizontalOverflow(page, 'applications at phone width');
  await env.screenshot(page, 'recruiter-applications-phone');
  checkNoConsoleErrors(page);
  checkNoConsoleErrors(other);
}

// Outbound webhooks (admin): bad URLs are refused in words, the signing
// secret is shown once, the delivery log shows a failed attempt and sends it
// again, a rotation shows the new secret, a disabled endpoint says why.
async function outboundWebhooks(env) {
  const page = await env.newPage();
  page.allowHttpError(/\/api\/v1\/webhook-endpoints$/, 400);
  page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);  // the landing page, before Certn is connected
  await env.signIn(page, 'admin');
  await page.waitForURL(/#\/admin\/certn$/);
  await page.getByRole('link', { name: 'Outbound webhooks' }).click();
  await page.waitForURL(/#\/admin\/webhooks$/);
  await waitText(page.locator('.endpoints'), 'No endpoints yet.');

  const url = page.getByLabel('URL', { exact: true });
  await url.fill('http://ats.example.com/hooks');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await waitText(page.getByRole('alert'), 'The endpoint URL must use https.');
  await url.fill('https://10.0.0.7/hooks');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await waitText(page.getByRole('alert'), 'The endpoint resolves to a private address, which webhooks are not sent to.');

  await url.fill('https://ats.example.com/hooks/stagecheck');
  await page.getByLabel('Description (optional)', { exact: true }).fill('Our ATS');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await waitText(page.getByRole('status'), 'Copy it into your ATS now: it is shown only this once.');
  const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
  assert(secret.startsWith('whsec_'), `the secret shown is ${secret}`);
  const card = page.locator('.endpoint').first();
  await waitText(card, 'https://ats.example.com/hooks/stagecheck');
  await waitText(card.locator('.badge'), 'Active');
  await waitText(card, 'Sends: Check sent, Status changed, Check completed');
  env.publishDocsImage(await env.screenshot(page, 'admin-outbound-webhooks'), 'outbound-webhooks');

  // A check makes an event; ats.example.com does not answer here, so the
  // first attempt fails and the delivery waits for its retry.
  await env.connectCertn();
  const cand = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Hook', last_name: 'Test', email: 'hook@example.com' });
  await env.api('recruiter', 'POST', `/candidates/${cand.id}/background-checks`, { package_id: 'pkg-basic' });
  const { items } = await env.api('admin', 'GET', '/webhook-endpoints');
  await eventually(async () => {
    const log = await env.api('admin', 'GET', `/webhook-endpoints/${items[0].id}/deliveries`);
    return log.items.some((d) => d.event_type === 'check.created' && d.attempts >= 1);
  }, 'a first attempt of check.created');
  await card.getByRole('button', { name: 'Show delivery log' }).click();
  const row = card.locator('li.delivery').filter({ hasText: 'Check sent' }).first();
  await waitText(row, 'Attempt 1: no answer');
  await waitText(row.locator('.badge'), 'Waiting to retry');
  assert(await badgeColour(row.locator('.badge')) === 'rgb(122, 65, 0)', 'a waiting delivery is amber');
  await row.getByRole('button', { name: 'Send again' }).click();
  await waitText(page.locator('#notice'), 'The event will be sent again now.');
  await env.screenshot(page, 'admin-outbound-webhooks-log');

  // Rotation: a new secret, once; the old one signs for a day.
  await card.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
  await waitText(card, 'New signing secret');
  const rotated = await card.getByLabel('Signing secret', { exact: true }).inputValue();
  assert(rotated.startsWith('whsec_') && rotated !== secret, 'a new secret is shown');
  assert(await page.getByLabel('Signing secret', { exact: true }).count() === 1, 'the stale secret is gone');

  // Disabled: says why, in words and in red; enabled again.
  await card.getByRole('button', { name: 'Disable' }).click();
  const disabled = page.locator('.endpoint').first();
  await waitText(disabled.locator('.badge').first(), 'Disabled');
  await waitText(disabled, 'Not sending: An admin disabled it.');
  assert(await badgeColour(disabled.locator('.badge').first()) === 'rgb(122, 28, 28)', 'a disabled endpoint is red');
  const text = await page.locator('main').innerText();
  assert(!/we_|msg_|[{}]|disabled_by_admin/.test(text), `raw ids, codes or JSON on the page: ${text}`);
  await checkLabels(page, 'outbound webhooks');
  await env.screenshot(page, 'admin-outbound-webhooks-disabled');
  await disabled.getByRole('button', { name: 'Enable' }).click();
  await waitText(page.locator('.endpoint').first().locator('.badge').first(), 'Active');
  await page.setViewportSize({ width: 390, height: 844 });
  await checkNoHorizontalOverflow(page, 'outbound webhooks at phone width');

  await page.locator('.endpoint').first().getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await waitText(page.locator('.endpoints'), 'No endpoints yet.');
  checkNoConsoleErrors(page);
}

// Notifications for people: the recruiter sends two checks; when Certn
// completes them, the bell in the top bar counts them (refreshed on
// navigation), the Notifications page lists them newest first in words with
// a link to the application; opening one marks it read, "Mark all read" the rest.
// A check whose Certn estimate passed is told once, with an amber "Delayed"
// badge and its date; an outbound endpoint answering 410 is told to the admin
// with a red badge and the way to the Outbound webhooks page.
async function notificationsScenario(env) {
  await env.connectCertn();
  const { job, stages, activities } = await env.jobWithPlan('Data Analyst', ['Applied', 'Background check'],
    { 'Background check': { package_id: 'pkg-basic', auto_send: false } });
  const sendFor = async (first, last, email) => {
    const c = await env.api('recruiter', 'POST', '/candidates', { first_name: first, last_name: last, email });
    const app = await env.api('recruiter', 'POST', '/applications', { candidate_id: c.id, job_id: job.id });
    const check = await env.api('recruiter', 'POST', `/applications/${app.id}/background-checks`, { activity_id: activities['Background check'] });
    return { app, check };
  };
  const complete = async ({ check }) => {
    await env.control('POST', `/_control/cases/${encodeURIComponent(await certnCaseOf(env, check.id))}/advance`, { status: 'COMPLETE' });
    await eventually(async () => (await env.api('recruiter', 'GET', `/background-checks/${check.id}`)).status === 'complete', 'a completed check');
  };
  const ada = await sendFor('Ada', 'Lovelace', 'ada@example.com');
  const page = await env.newPage();
  await env.signIn(page, 'recruiter');
  const bell = page.locator('#bell');
  await bell.waitFor();
  assert(await page.locator('#bell-count').isHidden(), 'no count before anything happened');
  await complete(ada);
  await page.getByRole('link', { name: 'Applications' }).click();
  await waitText(page.locator('#bell-count'), '1');
  assert(await badgeColour(page.locator('#bell-count')) === 'rgb(255, 255, 255)', 'the count is white on red');
  await env.screenshot(page, 'recruiter-notifications-bell');

  await bell.click();
  await page.waitForURL(/#\/notifications$/);
  const entry = page.locator('li.notification').first();
  await waitText(entry, 'Background check for Ada Lovelace is complete: clear');
  await waitText(entry.locator('.badge.new'), 'New');
  env.publishDocsImage(await env.screenshot(page, 'recruiter-notifications'), 'notifications');
  await entry.getByRole('link', { name: 'Open the application' }).click();
  await page.waitForURL(new RegExp(`#/applications/${ada.app.id}$`));
  await page.locator('#bell-count').waitFor({ state: 'hidden' });
  // Watching the application from its page.
  await page.getByRole('button', { name: 'Watch', exact: true }).click();
  await page.getByRole('button', { name: 'Stop watching' }).waitFor();
  assert((await env.api('recruiter', 'GET', `/applications/${ada.app.id}/watch`)).watching === true, 'the watch is stored');

  const grace = await sendFor('Grace', 'Hopper', 'grace+review@example.com');
  await complete(grace);
  await bell.click();
  await page.waitForURL(/#\/notifications$/);
  await waitText(page.locator('#bell-count'), '1');
  const newest = page.locator('li.notification').first();
  await waitText(newest, 'Background check for Grace Hopper is complete and needs review');
  await waitText(page.locator('li.notification').nth(1), 'Background check for Ada Lovelace is complete: clear');
  assert(await page.locator('li.notification').nth(1).locator('.badge.new').count() === 0, 'the opened one is read');
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await page.locator('#bell-count').waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.querySelectorAll('li.notification .badge.new').length === 0);
  const text = await page.locator('main').innerText();
  assert(!/[{}]|needs_review|_id/.test(text), `raw ids, codes or JSON on the page: ${text}`);
  await checkLabels(page, 'notifications');
  await env.screenshot(page, 'recruiter-notifications-read');

  // Past its expected date: Certn's estimate for Katherine's check passed an
  // hour ago; the delayed-check job (every 500 ms here) tells the sender once.
  const kate = await sendFor('Katherine', 'Johnson', 'katherine@example.com');
  await env.control('POST', `/_control/cases/${encodeURIComponent(await certnCaseOf(env, kate.check.id))}/advance`, { estimated_completion_in_s: -3600 });
  await eventually(async () => (await env.api('recruiter', 'GET', `/background-checks/${kate.check.id}`)).delayed, 'the check to be late', 30);
  await eventually(async () => (await env.api('recruiter', 'GET', '/notifications/unread-count')).unread === 1, 'the delayed-check notification', 30);
  await page.getByRole('link', { name: 'Applications' }).click();
  await waitText(page.locator('#bell-count'), '1');
  await bell.click();
  await page.waitForURL(/#\/notifications$/);
  const late = page.locator('li.notification').first();
  await waitText(late, 'Background check for Katherine Johnson is past its expected date (');
  assert(/is past its expected date \(\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\)/.test(await late.innerText()),
    `the date in words: ${await late.innerText()}`);
  await waitText(late.locator('.badge.delayed'), 'Delayed');
  assert(await badgeColour(late.locator('.badge.delayed')) === 'rgb(122, 65, 0)', 'a delayed check is amber, as on its application');
  await env.screenshot(page, 'recruiter-notifications-delayed');
  // Told once: two more runs of the job (counted in /metrics) add nothing.
  const runs = async () => {
    const text = await (await fetch(`${env.baseUrl}/metrics`)).text();
    const m = text.match(/stagecheck_work_total\{kind="checks\.delay_scan",outcome="done"\} (\d+)/);
    return m ? Number(m[1]) : 0;
  };
  const before = await runs();
  await eventually(async () => (await runs()) >= before + 2, 'two more runs of the delayed-check job', 30);
  const kinds = (await env.api('recruiter', 'GET', '/notifications')).items.filter((n) => n.kind === 'delayed');
  assert(kinds.length === 1, `one delayed notification, not ${kinds.length}`);
  await late.getByRole('link', { name: 'Open the application' }).click();
  await page.waitForURL(new RegExp(`#/applications/${kate.app.id}$`));
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.baseUrl}/#/notifications`);
  await page.locator('li.notification').first().waitFor();
  await checkNoHorizontalOverflow(page, 'notifications at phone width');
  checkNoConsoleErrors(page);
  await endpointDisabledNotice(env, kate.app, stages);
}

// An outbound endpoint that answers 410 is disabled automatically; every
// admin finds it under the bell, in words, with the way to the Outbound
// webhooks page, where the endpoint says why it is not sending.
async function endpointDisabledNotice(env, app, stages) {
  const receiver = http.createServer((req, res) => { req.resume(); res.writeHead(410).end('gone'); });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
    await env.api('admin', 'POST', '/webhook-endpoints', { url, event_types: ['application.moved'], description: 'Host ATS' });
    await env.api('recruiter', 'POST', `/applications/${app.id}/move`, { stage_id: stages['Background check'] });
    await eventually(async () => (await env.api('admin', 'GET', '/webhook-endpoints')).items[0].enabled === false, 'the endpoint to be disabled', 30);
    const page = await env.newPage();
    await env.signIn(page, 'admin');
    await waitText(page.locator('#bell-count'), '1');
    await page.locator('#bell').click();
    await page.waitForURL(/#\/notifications$/);
    const notice = page.locator('li.notification').first();
    await waitText(notice, 'Outbound webhook endpoint Host ATS was disabled automatically: it answered 410 Gone, which asks us to stop sending. Check the URL, then enable it on the Outbound webhooks page.');
    await waitText(notice.locator('.badge.bad'), 'Endpoint disabled');
    assert(await badgeColour(notice.locator('.badge.bad')) === 'rgb(122, 28, 28)', 'a disabled endpoint is red, as on its page');
    const text = await page.locator('main').innerText();
    assert(!/[{}]|endpoint_disabled|endpoint_gone|we_|_id/.test(text), `raw ids, codes or JSON on the page: ${text}`);
    await checkLabels(page, 'notifications of an admin');
    await env.screenshot(page, 'admin-notifications-endpoint-disabled');
    await notice.getByRole('link', { name: 'Open Outbound webhooks' }).click();
    await page.waitForURL(/#\/admin\/webhooks$/);
    await waitText(page.locator('.endpoint').first(), 'Not sending: It answered 410 Gone');
    await page.locator('#bell-count').waitFor({ state: 'hidden' });
    checkNoConsoleErrors(page);
  } finally {
    await new Promise((r) => receiver.close(r));
  }
}
notificationsScenario.envOptions = { serveArgs: ['--delay-scan-interval-ms', '500', '--outbound-allow-http-loopback'] };


// Users and roles: an admin adds a coordinator, issues a token (shown once),
// revokes another; the coordinator signed in sees status and results but no
// report link, PDF or files; the admin reads who opened the results page.
// Certn connected, a job whose stage "Background check" has a Certn
// activity, and a candidate's application whose check is complete with its
// report saved.
async function completedCheck(env, title, candidate) {
  await env.connectCertn();
  const { job, activities } = await env.jobWithPlan(title, ['Applied', 'Background check'],
    { 'Background check': { package_id: 'pkg-basic' } });
  const cand = await env.api('recruiter', 'POST', '/candidates', candidate);
  const app = await env.api('recruiter', 'POST', '/applications', { candidate_id: cand.id, job_id: job.id });
  const sent = await env.api('recruiter', 'POST', `/applications/${app.id}/background-checks`, { activity_id: activities['Background check'] });
  await env.control('POST', `/_control/cases/${encodeURIComponent(await certnCaseOf(env, sent.id))}/advance`, { status: 'COMPLETE' });
  await eventually(async () => (await env.api('admin', 'GET', `/background-checks/${sent.id}`)).report_file_id, 'the report PDF to be saved');
  return { job, cand, app, sent };
}

async function users(env) {
  const { cand, app, sent } = await completedCheck(env, 'Driver', { first_name: 'Rosa', last_name: 'Diaz', email: 'rosa@example.com' });

  const page = await env.newPage();
  await env.signIn(page, 'admin');
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('Cora Ordin');
  await page.getByLabel('Email', { exact: true }).fill('cora@example.com');
  await page.getByLabel('Role', { exact: true }).selectOption('coordinator');
  await page.getByRole('button', { name: 'Add user' }).click();
  const cora = page.locator('#users li.user').filter({ hasText: exactly('Cora Ordin') });
  await waitText(cora, 'cora@example.com · Coordinator');
  // The same email again is refused in words.
  await page.getByLabel('Name', { exact: true }).fill('Cora Twin');
  await page.getByLabel('Email', { exact: true }).fill('CORA@example.com');
  page.allowHttpError(/\/api\/v1\/users$/, 409);
  await page.getByRole('button', { name: 'Add user' }).click();
  await waitText(page.locator('form .message.error'), 'Someone in the team already has this email.');

  // Two tokens; the first is shown once, the second revoked.
  await page.getByRole('button', { name: 'Tokens of Cora Ordin' }).click();
  await waitText(cora, 'No tokens yet.');
  await cora.getByLabel('Token name', { exact: true }).fill('laptop');
  await cora.getByRole('button', { name: 'Issue token' }).click();
  const shown = page.getByRole('dialog', { name: 'Token “laptop” issued' });
  await waitText(shown, 'it is shown only once');
  const token = await shown.getByLabel('The new API token', { exact: true }).inputValue();
  assert(/^sc_[0-9a-f]{64}$/.test(token), `the token shown: ${token.slice(0, 6)}…`);
  await env.screenshot(page, 'admin-token-shown-once');
  await shown.getByRole('button', { name: 'I have copied it' }).click();
  await shown.waitFor({ state: 'detached' });
  assert(!(await page.content()).includes(token), 'the token is no longer on the page');
  await cora.getByLabel('Token name', { exact: true }).fill('old phone');
  await cora.getByLabel('Expiry', { exact: true }).selectOption('30');
  await cora.getByRole('button', { name: 'Issue token' }).click();
  const second = page.getByRole('dialog', { name: 'Token “old phone” issued' });
  const oldToken = await second.getByLabel('The new API token', { exact: true }).inputValue();
  await second.getByRole('button', { name: 'I have copied it' }).click();
  await cora.getByRole('button', { name: 'Revoke token old phone' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
  await waitText(cora.locator('li.token[data-revoked="true"]'), 'Revoked');
  await waitText(cora.locator('li.token[data-revoked="true"]'), 'expires');
  const refused = await fetch(`${env.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${oldToken}` } });
  assert(refused.status === 401, `a revoked token answers ${refused.status}`);
  await checkLabels(page, 'users');
  env.publishDocsImage(await env.screenshot(page, 'admin-users'), 'users');

  // The coordinator: status and result, no report.
  const coordinator = await env.newPage();
  coordinator.allowHttpError(/\/api\/v1\/background-checks\/[^/]+\/report$/, 403);
  await coordinator.goto(`${env.baseUrl}/`);
  await coordinator.getByLabel('API token', { exact: true }).fill(token);
  await coordinator.getByRole('button', { name: 'Sign in' }).click();
  await waitText(coordinator.locator('#who-label'), 'Coordinator');
  assert(await coordinator.getByRole('link', { name: 'Users' }).count() === 0, 'no Users link for a coordinator');
  await coordinator.goto(`${env.baseUrl}/#/applications/${app.id}`);
  const card = coordinator.locator(`.check[data-check-id="${sent.id}"]`);
  await waitText(card.locator('.badge').first(), 'Complete');
  await card.locator('.results-link').waitFor();
  assert(await card.getByRole('button', { name: 'View report' }).count() === 0, 'no View report for a coordinator');
  assert(await card.getByRole('button', { name: 'Download PDF' }).count() === 0, 'no Download PDF for a coordinator');
  await env.screenshot(coordinator, 'coordinator-application');
  await coordinator.goto(`${env.baseUrl}/#/checks/${sent.id}`);
  await coordinator.getByRole('heading', { name: 'Background check — Rosa Diaz', level: 1 }).waitFor();
  await waitText(coordinator.locator('#check-summary'), 'Complete');
  // No report for a coordinator: the panel says why instead of showing one.
  await waitText(coordinator.locator('#report'), 'Reports are open to recruiters and admins.');
  assert(await coordinator.locator('#report table').count() === 0, 'no report table for a coordinator');
  await env.screenshot(coordinator, 'coordinator-results-page');
  await coordinator.goto(`${env.baseUrl}/#/candidates/${cand.id}`);
  await coordinator.getByRole('heading', { name: 'Rosa Diaz', level: 1 }).waitFor();
  await coordinator.locator('#activity-feed li').first().waitFor();
  assert(await coordinator.locator('#candidate-files').count() === 0, 'no files for a coordinator');
  const coordinatorFeed = await coordinator.locator('#activity-feed').textContent();
  assert(!coordinatorFeed.includes('Opened the results page'), 'the access trail is for admins');
  checkNoConsoleErrors(coordinator);

  // The admin sees who looked, by name.
  await page.goto(`${env.baseUrl}/#/candidates/${cand.id}`);
  const look = page.locator('#activity-feed li.report_viewed').first();
  await waitText(look, 'Opened the results page');
  await waitText(look, 'Cora Ordin');
  await env.screenshot(page, 'admin-feed-report-views');
  checkNoConsoleErrors(page);
}

// The team's retention settings (issue 19): admins read and change them, a
// bad value is refused in words, recruiters never see the page.
async function retention(env) {
  const page = await env.newPage();
  page.allowHttpError(/\/api\/v1\/team\/retention$/, 400);  // the out-of-range value
  page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);  // the landing page: not connected
  await env.signIn(page, 'admin');
  await page.getByRole('link', { name: 'Data retention' }).click();
  await page.waitForURL(/#\/admin\/retention$/);
  const report = page.getByLabel('Report data (days after a check completes)', { exact: true });
  const bodies = page.getByLabel('Webhook delivery bodies (days)', { exact: true });
  const refused = page.getByLabel('Refused deliveries\' details (days)', { exact: true });
  await waitText(page.locator('.view'), 'These are the defaults; nobody has changed them yet.');
  assert(await report.inputValue() === '365', 'report data is kept 365 days by default');
  assert(await bodies.inputValue() === '30', 'webhook bodies are kept 30 days by default');
  assert(await refused.inputValue() === '7', 'refused deliveries\' details are kept 7 days by default');
  await checkLabels(page, 'retention');
  await env.screenshot(page, 'admin-retention-defaults');

  // Refused: a fraction (in the browser), then a value the API rejects.
  const save = page.getByRole('button', { name: 'Save retention settings' });
  await report.fill('2.5');
  await save.click();
  await waitText(page.getByRole('alert'), 'Report data: enter a whole number of days.');
  await report.fill('0');
  await save.click();
  await waitText(page.getByRole('alert'), 'Report days must be at least 1.');
  const error = await page.getByRole('alert').textContent();
  assert(!error.includes('{') && !error.includes('invalid_'), `error text: ${error}`);
  await env.screenshot(page, 'admin-retention-refused');

  await report.fill('90');
  await bodies.fill('14');
  await save.click();
  await waitText(page.getByRole('alert'), 'Retention settings saved.');
  await waitText(page.locator('.view'), 'Last changed');
  const saved = await env.api('admin', 'GET', '/team/retention');
  assert(saved.report_days === 90 && saved.delivery_body_days === 14 && saved.unverified_metadata_days === 7,
    `saved settings: ${JSON.stringify(saved)}`);
  await page.reload();
  await report.waitFor();
  await page.waitForFunction(() => document.querySelector('input[name="report_days"]').value === '90');
  assert(await bodies.inputValue() === '14', 'the saved value is shown after a reload');
  env.publishDocsImage(await env.screenshot(page, 'admin-retention-saved'), 'retention');
  await page.setViewportSize({ width: 390, height: 844 });
  await checkNoHorizontalOverflow(page, 'retention at phone width');
  checkNoConsoleErrors(page);

  const other = await env.newPage();
  await env.signIn(other, 'recruiter');
  assert(await other.getByRole('link', { name: 'Data retention' }).count() === 0, 'no retention link for recruiters');
  await other.goto(`${env.baseUrl}/#/admin/retention`);
  await waitText(other.getByRole('alert'), 'only available to team admins');
  assert(await other.getByLabel('Report data (days after a check completes)', { exact: true }).count() === 0,
    'the retention form is not shown to recruiters');
  checkNoConsoleErrors(other);
}

// Every console page as each of the four roles (issue 19): what the role may
// not use is absent (not merely refused), what it may use is there, and no
// page asks the API for something the role is refused (no 403 in the console).
async function roles(env) {
  const { job, cand, app, sent } = await completedCheck(env, 'Porter', { first_name: 'Noor', last_name: 'Haddad', email: 'noor@example.com' });
  // A bulk send (of another application: it sends a new check) to look at.
  const other = await env.api('recruiter', 'POST', '/candidates', { first_name: 'Omar', last_name: 'Salem', email: 'omar@example.com' });
  const otherApp = await env.api('recruiter', 'POST', '/applications', { candidate_id: other.id, job_id: job.id });
  const bulk = await env.api('recruiter', 'POST', '/bulk-sends', { application_ids: [otherApp.id] });
  const tokenFor = async (name, email, role) => {
    const user = await env.api('admin', 'POST', '/users', { name, email, role });
    return { user, token: (await env.api('admin', 'POST', `/users/${user.id}/tokens`, { name: 'browser' })).token };
  };
  const coordinator = await tokenFor('Cole Ordway', 'cole@example.com', 'coordinator');
  const viewer = await tokenFor('Vera Watts', 'vera@example.com', 'viewer');
  const grid = [
    { role: 'admin', word: 'Admin', token: env.adminToken, recruit: true, results: true, report: true },
    { role: 'recruiter', word: 'Recruiter', token: env.recruiterToken, recruit: true, results: true, report: true },
    { role: 'coordinator', word: 'Coordinator', token: coordinator.token, recruit: true, results: true, report: false },
    { role: 'viewer', word: 'Viewer', token: viewer.token, recruit: false, results: false, report: false },
  ];
  const present = async (locator, expected, what) => {
    if (expected) await locator.first().waitFor();
    else assert(await locator.count() === 0, `${what} is shown but the role may not use it`);
  };
  for (const g of grid) {
    const page = await env.newPage();
    page.allowHttpError(/\/api\/v1\/integrations\/certn$/, 422);  // never: Certn is connected
    await page.goto(`${env.baseUrl}/`);
    await page.getByLabel('API token', { exact: true }).fill(g.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitText(page.locator('#who-label'), g.word);
    assert((await page.getByRole('link', { name: 'Users' }).count() > 0) === (g.role === 'admin'), `${g.role}: Users link`);

    // Candidates: the form to add one only for those who may.
    await page.goto(`${env.baseUrl}/#/candidates`);
    await page.getByRole('heading', { name: 'All candidates' }).waitFor();
    await page.locator('#candidate-list li').first().waitFor();
    await present(page.getByRole('button', { name: 'Create candidate' }), g.recruit, `${g.role}: Create candidate`);
    const noNull = async (what) => {
      const text = await page.locator('#main').innerText();
      assert(!/\bnull\b|undefined|\{"/.test(text), `${g.role}: ${what} shows raw values: ${text.slice(0, 300)}`);
    };
    await noNull('candidates');
    await env.screenshot(page, `roles-${g.role}-candidates`);

    // The candidate: details editable, applications, ad-hoc send, files.
    await page.goto(`${env.baseUrl}/#/candidates/${cand.id}`);
    await page.getByRole('heading', { name: 'Noor Haddad', level: 1 }).waitFor();
    await page.locator('#activity-feed li').first().waitFor();
    await present(page.getByRole('button', { name: 'Save candidate' }), g.recruit, `${g.role}: Save candidate`);
    await present(page.getByRole('button', { name: 'Create application' }), g.recruit, `${g.role}: Create application`);
    await present(page.locator('#adhoc-send'), g.recruit, `${g.role}: ad-hoc send`);
    await present(page.locator('#candidate-files li'), g.report, `${g.role}: files`);
    assert(await page.getByLabel('First name', { exact: true }).inputValue() === 'Noor', `${g.role}: the details are shown`);
    assert(await page.getByLabel('First name', { exact: true }).isEditable() === g.recruit, `${g.role}: details editable`);
    await present(page.locator('#candidate-applications .badge', { hasText: exactly('Complete · Clear') }), g.results, `${g.role}: the result on the profile`);
    await noNull('the candidate');
    await env.screenshot(page, `roles-${g.role}-candidate`);

    // Applications: bulk selection and its send for those who may send; the
    // result filter and the result for those who may see results.
    await page.goto(`${env.baseUrl}/#/applications`);
    const row = page.locator('#application-table tbody tr', { hasText: 'Noor Haddad' });
    await row.waitFor();
    await present(page.locator('#select-all'), g.recruit, `${g.role}: select all`);
    await present(row.locator('input.select-row'), g.recruit, `${g.role}: row checkbox`);
    await present(page.locator('#bulk-send'), g.recruit, `${g.role}: bulk send button`);
    await present(page.getByLabel('Result', { exact: true }), g.results, `${g.role}: result filter`);
    const badge = (await row.locator('.badge').first().textContent()).trim();
    assert(badge === (g.results ? 'Complete · Clear' : 'Complete'), `${g.role}: the row's badge reads ${badge}`);
    if (!g.results) assert(await badgeColour(row.locator('.badge').first()) !== GREEN, 'no green for a role that may not see the result');
    await checkLabels(page, `applications as ${g.role}`);
    await noNull('applications');
    await env.screenshot(page, `roles-${g.role}-applications`);
    // A shared link with a result filter does not ask a viewer's API for it.
    await page.goto(`${env.baseUrl}/#/applications?result=CLEAR`);
    await row.waitFor();

    // The application: moving, sending and watching for those who may.
    await page.goto(`${env.baseUrl}/#/applications/${app.id}`);
    const card = page.locator(`.check[data-check-id="${sent.id}"]`);
    await card.waitFor();
    await waitText(card.locator('.badge').first(), 'Complete');
    await present(page.getByRole('button', { name: 'Move application' }), g.recruit, `${g.role}: Move application`);
    await present(page.getByRole('button', { name: 'Watch' }), g.recruit && g.results, `${g.role}: Watch`);
    await present(card.locator('.results-link'), g.results, `${g.role}: Open results`);
    await present(card.getByRole('button', { name: 'View report' }), g.report, `${g.role}: View report`);
    await present(card.getByRole('button', { name: 'Download PDF' }), g.report, `${g.role}: Download PDF`);
    await present(card.getByRole('button', { name: /^Re-order/ }), false, `${g.role}: re-order of a complete check`);
    await noNull('the application');
    await env.screenshot(page, `roles-${g.role}-application`);

    // The check's page: the report panel for those who may open it.
    await page.goto(`${env.baseUrl}/#/checks/${sent.id}`);
    await page.getByRole('heading', { name: 'Background check — Noor Haddad', level: 1 }).waitFor();
    await waitText(page.locator('#check-summary'), 'Complete');
    if (g.report) {
      await page.locator('#report table').first().waitFor();
    } else {
      await waitText(page.locator('#report'), 'Reports are open to recruiters and admins.');
      assert(await page.locator('#report table').count() === 0, `${g.role}: no report table`);
    }
    await noNull('the check');
    await env.screenshot(page, `roles-${g.role}-check`);

    // The bulk send's progress: read-only for everyone.
    await page.goto(`${env.baseUrl}/#/bulk-sends/${bulk.id}`);
    await page.getByRole('heading', { name: 'Bulk send of 1 application', level: 1 }).waitFor();
    assert(await page.locator('.view button').count() === 0, `${g.role}: the bulk send page has no action`);

    // Turnaround: the share needing review is a result.
    await page.goto(`${env.baseUrl}/#/reports/turnaround`);
    await page.locator('#turnaround-table tbody tr').first().waitFor();
    await present(page.getByRole('columnheader', { name: 'Needing review' }), g.results, `${g.role}: Needing review`);
    await noNull('turnaround');
    await env.screenshot(page, `roles-${g.role}-turnaround`);

    // The notifications page: readable by everyone.
    await page.goto(`${env.baseUrl}/#/notifications`);
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    checkNoConsoleErrors(page);
    await page.context().close();
  }

  // The admin changes a role with the selector; it holds from the next request.
  const page = await env.newPage();
  page.allowHttpError(/\/api\/v1\/users\/[^/]+$/, 409);  // demoting the last admin
  await env.signIn(page, 'admin');
  await page.getByRole('link', { name: 'Users' }).click();
  const vera = page.locator('#users li.user').filter({ hasText: exactly('Vera Watts') });
  await waitText(vera, 'vera@example.com · Viewer');
  await page.getByLabel('Role of Vera Watts', { exact: true }).selectOption('coordinator');
  await page.getByRole('button', { name: 'Change role of Vera Watts' }).click();
  await waitText(page.locator('#notice'), 'Vera Watts is now Coordinator, from their next request on.');
  await waitText(vera, 'vera@example.com · Coordinator');
  const me = await (await fetch(`${env.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${viewer.token}` } })).json();
  assert(me.role === 'coordinator' && me.can.recruit === true, `Vera's token now: ${JSON.stringify(me)}`);
  // A token narrower than its user, issued from the page.
  await page.getByRole('button', { name: 'Tokens of Vera Watts' }).click();
  await vera.getByLabel('Token name', { exact: true }).fill('status screen');
  await vera.getByLabel('Token role', { exact: true }).selectOption('viewer');
  await vera.getByRole('button', { name: 'Issue token' }).click();
  const shown = page.getByRole('dialog', { name: 'Token “status screen” issued' });
  const screen = await shown.getByLabel('The new API token', { exact: true }).inputValue();
  await shown.getByRole('button', { name: 'I have copied it' }).click();
  await waitText(vera.locator('li.token', { hasText: 'status screen' }), 'Viewer only');
  const screenMe = await (await fetch(`${env.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${screen}` } })).json();
  assert(screenMe.role === 'viewer', `the narrowed token: ${screenMe.role}`);
  // The last admin cannot step down: refused in words.
  const self = page.locator('#users li.user').filter({ hasText: '(you)' });
  const selfName = (await self.locator('strong').first().textContent()).trim();
  await page.getByLabel(`Role of ${selfName}`, { exact: true }).selectOption('recruiter');
  await page.getByRole('button', { name: `Change role of ${selfName}` }).click();
  await waitText(page.getByRole('alert'), 'This is the team’s last admin. Make another user an admin first.');
  const error = await page.getByRole('alert').first().textContent();
  assert(!error.includes('last_admin') && !error.includes('{'), `error text: ${error}`);
  await checkLabels(page, 'users with role selectors');
  await env.screenshot(page, 'roles-admin-users');
  checkNoConsoleErrors(page);
}

await run({ admin, recruiter, errors_and_roles: errorsAndRoles, states, cancel_reorder: cancelReorder, deliveries_banner: deliveriesBanner, demo, pipeline, lifecycle, outbound_webhooks: outboundWebhooks,
  users, retention, notifications: notificationsScenario, roles });
