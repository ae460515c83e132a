// POST /api/v1/screenings with XMLHttpRequest, for its upload progress events.
import { API, ApiError, parseRetryAfter, toProblem } from "./api";
import type { Screening } from "./types";

export interface UploadForm {
  file: File;
  patientRef?: string;
  profile?: string;
  clinical?: Record<string, boolean | number>;
}

export function buildFormData(form: UploadForm): FormData {
  const data = new FormData();
  data.append("file", form.file, form.file.name);
  const ref = form.patientRef?.trim();
  if (ref) data.append("patient_ref", ref);
  if (form.profile && form.profile !== "auto") data.append("profile", form.profile);
  for (const [name, value] of Object.entries(form.clinical ?? {})) {
    data.append(name, typeof value === "boolean" ? (value ? "true" : "false") : String(value));
  }
  return data;
}

export interface UploadCallbacks {
  /** Fraction 0..1 of the request body sent. */
  onProgress?: (fraction: number) => void;
  /** The body is sent; the server is working. */
  onUploaded?: () => void;
}

export function uploadScreening(
  form: UploadForm,
  callbacks: UploadCallbacks = {},
  signal?: AbortSignal,
): Promise<Screening> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API}/screenings`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.withCredentials = true;
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) {
        callbacks.onProgress?.(event.loaded / event.total);
      }
    };
    xhr.upload.onload = () => {
      callbacks.onProgress?.(1);
      callbacks.onUploaded?.();
    };
    xhr.onerror = () => reject(new ApiError({ status: 0, code: "network_error" }));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as Screening);
        } catch {
          reject(new ApiError({ status: xhr.status, code: "unknown" }));
        }
        return;
      }
      reject(
        new ApiError(
          toProblem(xhr.status, xhr.responseText),
          parseRetryAfter(xhr.getResponseHeader("Retry-After")),
        ),
      );
    };
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(buildFormData(form));
  });
}
