// The metric provider types Sluice can run: the keys of `metrics[].provider` it accepts. One list
// for both sides that must agree on it: `sluice lint` (src/validation/lint-analysis.ts), which
// reports any other key offline, and the runtime provider registry (src/service), which must
// register exactly these. Argo's other providers (datadog, newRelic, …) pass the CRD schema but
// are not implemented here.
//
// Pure module: a constant, nothing else, so anything may import it.

export const SUPPORTED_METRIC_PROVIDER_TYPES = ['prometheus', 'web', 'job'] as const;

export type SupportedMetricProviderType = (typeof SUPPORTED_METRIC_PROVIDER_TYPES)[number];

export function isSupportedMetricProviderType(type: string): type is SupportedMetricProviderType {
  return (SUPPORTED_METRIC_PROVIDER_TYPES as readonly string[]).includes(type);
}
