// A prepared module version in the form another thread of the node installs it from: its bytes (segments' text
// and code caches, literal data) copied once into shared memory, in slices of main-thread time, so that posting it
// to any number of threads, now or when a thread starts later, copies nothing more on the main thread; and its
// exports packed into one string (see prepare-messages.ts).
import type { Installable } from "./install.ts";
import type { PreparedLiteral } from "./literals/index.ts";
import { type PackedExports, packExports, unpackExports } from "./prepare-messages.ts";
import type { PreparedModule, PreparedSegment } from "./prepared.ts";
import type { ReplicaVersion } from "./replicas.ts";
import type { TimeSlices } from "./time-slices.ts";

/** How many bytes the main thread copies between two looks at the time (a copy of this size takes ~0.1 ms). */
const COPY_CHUNK = 256 * 1024;

export interface ShippedVersion {
  readonly name: string;
  readonly serial: number;
  readonly filename: string;
  readonly module: Omit<PreparedModule, "exports"> & { readonly exports: PackedExports };
  readonly literals: Readonly<Record<string, PreparedLiteral>>;
}

/** `version` with its bytes in shared memory, copied a chunk at a time between `slices`' event-loop turns. */
export async function ship(version: ReplicaVersion, slices: TimeSlices): Promise<ShippedVersion> {
  const segments: PreparedSegment[] = [];
  for (const segment of version.module.segments) {
    const cache = segment.cache === undefined ? undefined : await shared(segment.cache, slices);
    segments.push({ ...segment, utf8: await shared(segment.utf8, slices), ...(cache === undefined ? {} : { cache }) });
  }
  const literals: Record<string, PreparedLiteral> = {};
  for (const [specifier, literal] of Object.entries(version.literals)) {
    literals[specifier] = { ...literal, bytes: await shared(literal.bytes, slices) };
  }
  const { name, serial, filename, module } = version;
  return { name, serial, filename, module: { ...module, segments, exports: packExports(module.exports) }, literals };
}

/** What `install` takes, its bytes copied out of shared memory into this thread's own. */
export function unship(version: ShippedVersion): Installable {
  const { module } = version;
  const segments = module.segments.map((s) => ({
    ...s,
    utf8: new Uint8Array(s.utf8),
    ...(s.cache === undefined ? {} : { cache: new Uint8Array(s.cache) }),
  }));
  const literals: Record<string, PreparedLiteral> = {};
  for (const [specifier, literal] of Object.entries(version.literals)) {
    literals[specifier] = { ...literal, bytes: new Uint8Array(literal.bytes) };
  }
  return {
    module: { ...module, segments, exports: unpackExports(module.exports) },
    literals,
    filename: version.filename,
  };
}

async function shared(bytes: Uint8Array, slices: TimeSlices): Promise<Uint8Array> {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  for (let at = 0; at < bytes.byteLength; at += COPY_CHUNK) {
    await slices.next();
    copy.set(bytes.subarray(at, at + COPY_CHUNK), at);
  }
  return copy;
}
