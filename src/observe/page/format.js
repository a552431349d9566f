// How numbers read on the page: bytes, durations, rates, shares and counts, each with its unit.

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** 1536 → "1.5 KiB". */
export function bytes(value) {
  if (value === null || value === undefined) return "—";
  let amount = value;
  let unit = 0;
  while (Math.abs(amount) >= 1024 && unit < BYTE_UNITS.length - 1) {
    amount /= 1024;
    unit++;
  }
  return `${unit === 0 ? amount : amount.toFixed(amount < 10 ? 2 : amount < 100 ? 1 : 0)} ${BYTE_UNITS[unit]}`;
}

/** 93_784_000 → "1d 2h 3m 4s"; under a minute, seconds with a decimal. */
export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor(seconds / 3600) % 24, "h"],
    [Math.floor(seconds / 60) % 60, "m"],
    [seconds % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first)
    .map(([n, unit]) => `${n}${unit}`)
    .join(" ");
}

/** A short delay: "0.42 ms", "12.3 ms", "1.20 s". */
export function millis(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** 0.257 → "25.7 %". */
export function percent(share) {
  if (share === null || share === undefined) return "—";
  return `${(share * 100).toFixed(1)} %`;
}

/** 1234567 → "1,234,567". */
export function count(value) {
  if (value === null || value === undefined) return "—";
  return Math.round(value).toLocaleString("en-US");
}

/** Messages per second: "1,234 /s", "12.5 /s". */
export function rate(value) {
  if (value === null || value === undefined) return "—";
  return `${value >= 100 ? count(value) : value.toFixed(1)} /s`;
}

/** A large count made short for chart axes: 1200 → "1.2k", 3_400_000 → "3.4M". */
export function compact(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${+(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(2)}`;
}
