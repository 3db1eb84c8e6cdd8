// The Prometheus files checked by Prometheus' own tool: `promtool check config` on both scrape
// configs, `promtool check rules` on the alerts and `promtool test rules`, which evaluates every
// alert expression against sample series (deploy/prometheus/tests/alerts.test.yml).
import { describe, expect, it } from '@jest/globals';
import { readYaml, run, which } from '../helpers/deploy.ts';

const promtool = which('promtool');
const MISSING = 'promtool is not installed. It comes with Debian\'s `prometheus` package: `bash scripts/setup.sh` installs it (apt-get install prometheus), or install it by hand.';

function promtoolRun(...args: string[]) {
  if (!promtool) throw new Error(MISSING);
  return run(promtool, args, new URL('../../deploy/prometheus/', import.meta.url).pathname);
}

describe('Prometheus configuration (promtool)', () => {
  it('promtool is available (scripts/setup.sh installs it)', () => {
    expect(promtool ?? MISSING).not.toBe(MISSING);
  });

  it.each(['prometheus.yml', 'prometheus.dev.yml'])('%s is a valid config and its rule files load', (file) => {
    const r = promtoolRun('check', 'config', file);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('the alert rules are valid', () => {
    const r = promtoolRun('check', 'rules', 'alerts.yml');
    expect(r.status).toBe(0);
  });

  it('every alert expression passes its unit test against sample series', () => {
    const r = promtoolRun('test', 'rules', 'tests/alerts.test.yml');
    if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.output}`);
    expect(r.output).toMatch(/SUCCESS/);
  });

  it('every alert has at least one unit test case', () => {
    const alerts = readYaml('deploy/prometheus/alerts.yml').groups.flatMap((g: any) => g.rules.map((r: any) => r.alert));
    const tests = readYaml('deploy/prometheus/tests/alerts.test.yml').tests.flatMap((t: any) => t.alert_rule_test.map((a: any) => a.alertname));
    expect(alerts.filter((a: string) => !tests.includes(a))).toEqual([]);
  });

  it('compose scraping finds every replica of every pool by DNS, not one static target', () => {
    const compose = readYaml('docker-compose.yml');
    const pools = Object.keys(compose.services).filter((s) => s.startsWith('worker-'));
    const config = readYaml('deploy/prometheus/prometheus.yml');
    for (const job of ['workers', 'temporal-sdk']) {
      const scrape = config.scrape_configs.find((j: any) => j.job_name === job);
      expect(scrape.static_configs).toBeUndefined();
      expect(scrape.dns_sd_configs.flatMap((d: any) => d.names).sort()).toEqual(pools.sort());
    }
    const api = config.scrape_configs.find((j: any) => j.job_name === 'api');
    expect(api.dns_sd_configs[0].names).toEqual(['api']);
  });
});
