// What the browser checks before uploading, so that an obviously wrong file is refused at once
// (the server checks everything again).

export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
export const ACCEPT =
  ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.bmp,.webp,.heic,.heif,.dcm,.zip,.edf,.xml,application/pdf,image/png,image/jpeg,image/tiff,image/bmp,image/webp,image/heic,image/heif,application/dicom,application/zip,text/xml,application/xml";
/** Bytes read for the check: DICOM's magic sits at 128, an XML root may follow a prolog. */
const HEAD_BYTES = 1024;

// Printouts, and digital waveform files (DICOM, a WFDB record zipped, EDF, MUSE/aECG XML).
export type FileKind =
  | "pdf"
  | "png"
  | "jpeg"
  | "tiff"
  | "bmp"
  | "webp"
  | "heif"
  | "dicom"
  | "wfdb"
  | "edf"
  | "xml";
/** HEIF still-image brands (an AVIF or a video shares the `ftyp` box but is not accepted). */
const HEIF_BRANDS = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"];
export type FileCheck = { ok: true; kind: FileKind } | { ok: false; code: string };

/** The kind named by the first bytes (magic numbers), or null. */
export function sniff(head: Uint8Array): FileKind | null {
  const starts = (bytes: number[]) =>
    head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return "pdf"; // %PDF-
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (starts([0x49, 0x49, 0x2a, 0x00]) || starts([0x4d, 0x4d, 0x00, 0x2a])) return "tiff"; // II*. MM.*
  if (starts([0x42, 0x4d]) && head.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(head[14] ?? 0)) return "bmp";
  const ascii = (from: number, to: number) => String.fromCharCode(...head.slice(from, to));
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (ascii(4, 8) === "ftyp" && HEIF_BRANDS.includes(ascii(8, 12))) return "heif"; // the server checks the rest
  if (head.length >= 132 && [0x44, 0x49, 0x43, 0x4d].every((b, i) => head[128 + i] === b)) return "dicom";
  if (starts([0x50, 0x4b, 0x03, 0x04])) return "wfdb"; // a ZIP holding one WFDB record
  if (starts([0x30, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20])) return "edf"; // "0" + 7 spaces
  const text = new TextDecoder("utf-8", { fatal: false }).decode(head).replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("<")) return "xml"; // the server decides which XML format, if any
  return null;
}

async function readHead(file: Blob, count: number): Promise<Uint8Array> {
  const slice = file.slice(0, count);
  if (typeof slice.arrayBuffer === "function") return new Uint8Array(await slice.arrayBuffer());
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(slice);
  });
}

/** Size first (cheap), then the magic bytes: the codes are the API's own. */
export async function checkFile(file: File): Promise<FileCheck> {
  if (file.size === 0) return { ok: false, code: "empty_file" };
  if (file.size > MAX_UPLOAD_BYTES) return { ok: false, code: "file_too_large" };
  const kind = sniff(await readHead(file, HEAD_BYTES));
  if (!kind) return { ok: false, code: "unsupported_type" };
  return { ok: true, kind };
}
