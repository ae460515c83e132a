import { describe, expect, it } from "vitest";
import { checkFile, MAX_UPLOAD_BYTES, sniff } from "@/lib/filecheck";

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff, 0xe0];

function file(bytes: number[] | Uint8Array, name: string, type = ""): File {
  return new File([new Uint8Array(bytes)], name, { type });
}

describe("file checks before upload", () => {
  it("recognises PDF, PNG and JPEG by their first bytes", () => {
    expect(sniff(new Uint8Array(PDF))).toBe("pdf");
    expect(sniff(new Uint8Array(PNG))).toBe("png");
    expect(sniff(new Uint8Array(JPEG))).toBe("jpeg");
    expect(sniff(new Uint8Array([0x47, 0x49, 0x46, 0x38]))).toBeNull(); // GIF
    expect(sniff(new Uint8Array([0x25, 0x50]))).toBeNull();
  });

  it("recognises TIFF, BMP, WebP and HEIC by their first bytes", () => {
    const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
    expect(sniff(new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]))).toBe("tiff");
    expect(sniff(new Uint8Array([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]))).toBe("tiff");
    const bmp = new Uint8Array(18);
    bmp.set([0x42, 0x4d]);
    bmp[14] = 40; // BITMAPINFOHEADER
    expect(sniff(bmp)).toBe("bmp");
    expect(sniff(new Uint8Array(ascii("BM is not enough")))).toBeNull();
    expect(sniff(new Uint8Array(ascii("RIFF\0\0\0\0WEBPVP8 ")))).toBe("webp");
    expect(sniff(new Uint8Array(ascii("RIFF\0\0\0\0WAVEfmt ")))).toBeNull();
    expect(sniff(new Uint8Array([0, 0, 0, 0x18, ...ascii("ftypheic")]))).toBe("heif");
    expect(sniff(new Uint8Array([0, 0, 0, 0x18, ...ascii("ftypavif")]))).toBeNull();
  });

  it("recognises digital waveform files by their first bytes", () => {
    const dicom = new Uint8Array(132);
    dicom.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(sniff(dicom)).toBe("dicom");
    expect(sniff(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0]))).toBe("wfdb");
    expect(sniff(new TextEncoder().encode("0       80      "))).toBe("edf");
    expect(sniff(new TextEncoder().encode('\uFEFF  <?xml version="1.0"?><RestingECG>'))).toBe("xml");
    expect(sniff(new TextEncoder().encode("just text"))).toBeNull();
  });

  it("trusts the bytes, not the name or the declared type", async () => {
    expect(await checkFile(file(PNG, "scan.pdf", "application/pdf"))).toEqual({ ok: true, kind: "png" });
    expect(await checkFile(file([...new TextEncoder().encode("hello world")], "ecg.pdf", "application/pdf"))).toEqual({
      ok: false,
      code: "unsupported_type",
    });
  });

  it("refuses empty and oversized files with the API's codes", async () => {
    expect(await checkFile(file([], "empty.pdf"))).toEqual({ ok: false, code: "empty_file" });
    const big = new File([new Uint8Array(PDF), new Uint8Array(MAX_UPLOAD_BYTES)], "big.pdf");
    expect(await checkFile(big)).toEqual({ ok: false, code: "file_too_large" });
    const limit = new File([new Uint8Array(PDF), new Uint8Array(MAX_UPLOAD_BYTES - PDF.length)], "ok.pdf");
    expect(await checkFile(limit)).toEqual({ ok: true, kind: "pdf" });
  });
});
