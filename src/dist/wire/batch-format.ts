// The batch framing two Otter nodes use over a same-host carrier: several messages per frame, an atom table that
// lives as long as the connection, and the common sends as compact records instead of control tuples.
//
// Only Otter nodes ever read it: it runs on a same-host stream (a Unix socket advertised as `otter2:unix:…`), whose
// two ends are Otter nodes of the version that advertisement names. BEAM peers, and every TCP connection, keep the
// standard framing. Both framings share the connection: a frame whose first byte is BATCH_FRAME holds records, any
// other frame is a standard one (131 68/69/70, its own atom cache), so a large message still goes out in fragments
// taking turns with the others, and a tick is still an empty frame.
//
// A batch frame: `[length u32][BATCH_FRAME][record]…`, records back to back to the end of the frame, read in order.
//   DEFINE_ATOM    slot u8, length u8, UTF-8 bytes  — slot (0–254) of the connection's atom table names the atom
//                  from here on, until a later DEFINE_ATOM of the same slot
//   SEND           to Pid, payload                    — a message to a pid whose sender is not known
//   SEND_SENDER    from Pid, to Pid, payload
//   REG_SEND       from Pid, to Atom, payload         — a message to a registered name
//   CONTROL        control tuple                      — any other control message, as the standard framing's
//   CONTROL_PAYLOAD control tuple, payload              tuple (and payload term) after a distribution header
// A Pid is `node Atom, id u32, serial u32, creation u32`; an Atom is a table slot (one byte, 0–254), or INLINE_ATOM
// then a u16 length and UTF-8 bytes; u16/u32 are big-endian. A payload or control tuple is an unversioned ETF term
// whose ATOM_CACHE_REF indexes are slots of the atom table.

/** First byte of a batch frame: neither 131 (a distribution header) nor 112 (pass-through). */
export const BATCH_FRAME = 0xba;

export const RecordTag = {
  DEFINE_ATOM: 1,
  SEND: 2,
  SEND_SENDER: 3,
  REG_SEND: 4,
  CONTROL: 5,
  CONTROL_PAYLOAD: 6,
} as const;

/** Slots of the connection's atom table: every index an ATOM_CACHE_REF can hold but INLINE_ATOM. */
export const ATOM_SLOTS = 255;
/** In a record's Atom field: the atom follows in full instead of a slot. */
export const INLINE_ATOM = 255;
/** The longest atom (in UTF-8 bytes) a slot takes: DEFINE_ATOM's length is one byte. */
export const MAX_SLOT_ATOM_BYTES = 255;
/** Bytes of a Pid after its node atom. */
export const PID_BODY_BYTES = 12;
