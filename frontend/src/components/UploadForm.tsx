"use client";

import { useId, useRef, useState } from "react";
import { hasMessage, t } from "@/i18n";
import { ACCEPT, checkFile } from "@/lib/filecheck";
import { formatBytes } from "@/lib/format";
import { MAX_PATIENT_REF } from "@/lib/limits";
import { profileHelp, profileName } from "@/lib/labels";
import type { ClinicalField, ModelCard } from "@/lib/types";
import { Field, InputField } from "./Field";
import { ErrorBox } from "./Notices";

export interface UploadRequest {
  file: File;
  patientRef: string;
  profile: string;
  clinical: Record<string, boolean | number>;
}

function fieldLabel(field: ClinicalField): string {
  const key = `clinical.${field.name}`;
  return hasMessage(key) ? t(key) : field.name;
}

/** File picker with drag and drop, patient reference, layout profile and clinical fields. */
export function UploadForm({
  model,
  busy,
  onSubmit,
}: {
  model: ModelCard | null;
  busy: boolean;
  onSubmit: (request: UploadRequest) => void;
}) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [patientRef, setPatientRef] = useState("");
  const [profile, setProfile] = useState("auto");
  const [clinical, setClinical] = useState<Record<string, boolean | number | "">>({});
  const fields = model?.clinical_inputs?.fields ?? [];
  const profiles = (model?.input.profiles ?? []).filter((p) => p !== "auto");

  async function choose(candidate: File | undefined | null) {
    setFileError(null);
    if (!candidate) return;
    const check = await checkFile(candidate);
    if (!check.ok) {
      setFile(null);
      setFileError(check.code);
      if (inputRef.current) inputRef.current.value = "";
      return;
    }
    setFile(candidate);
  }

  function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!file) {
      setFileError("no_file");
      return;
    }
    const values: Record<string, boolean | number> = {};
    for (const field of fields) {
      const value = clinical[field.name];
      if (field.type === "boolean") values[field.name] = value === true;
      else if (typeof value === "number") values[field.name] = value;
    }
    onSubmit({ file, patientRef, profile, clinical: values });
  }

  return (
    <form onSubmit={submit} className="upload-form" aria-describedby={`${id}-hint`}>
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          void choose(event.dataTransfer.files?.[0]);
        }}
        data-testid="dropzone"
      >
        <p>
          {t("screen.dropHere")}{" "}
          <label htmlFor={`${id}-file`} className="button secondary">
            {t("screen.choose")}
          </label>
        </p>
        <input
          ref={inputRef}
          id={`${id}-file`}
          className="visually-hidden"
          type="file"
          name="file"
          accept={ACCEPT}
          onChange={(event) => void choose(event.target.files?.[0])}
          aria-describedby={`${id}-hint`}
          data-testid="file-input"
          disabled={busy}
        />
        <p id={`${id}-hint`} className="hint">
          {t("screen.fileHint")}
        </p>
        {file && (
          <p role="status" data-testid="selected-file">
            {t("screen.selected", { name: file.name, size: formatBytes(file.size) })}{" "}
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                setFile(null);
                if (inputRef.current) inputRef.current.value = "";
              }}
              disabled={busy}
            >
              {t("screen.clearFile")}
            </button>
          </p>
        )}
      </div>
      {fileError === "no_file" && (
        <p className="error-box" role="alert">
          {t("screen.noFile")}
        </p>
      )}
      {fileError && fileError !== "no_file" && <ErrorBox code={fileError} />}

      <div className="two-col">
        <InputField
          id={`${id}-ref`}
          label={t("screen.patientRef")}
          hint={t("screen.patientRefHint")}
          type="text"
          name="patient_ref"
          maxLength={MAX_PATIENT_REF}
          autoComplete="off"
          value={patientRef}
          onChange={(event) => setPatientRef(event.target.value)}
          disabled={busy}
        />
        {profiles.length > 0 && (
          <Field
            id={`${id}-profile`}
            label={t("screen.profile")}
            hint={profileHelp(profile)}
            hintTestId="profile-help"
          >
            {(control) => (
              <select
                {...control}
                value={profile}
                onChange={(event) => setProfile(event.target.value)}
                disabled={busy}
              >
                <option value="auto">{t("screen.profile.auto")}</option>
                {profiles.map((p) => (
                  <option key={p} value={p}>
                    {profileName(p)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </div>

      {fields.length > 0 && (
        <fieldset data-testid="clinical-form">
          <legend>{t("screen.clinicalTitle")}</legend>
          <div className="checks">
            {fields.map((field) =>
              field.type === "boolean" ? (
                <label key={field.name} className="check">
                  <input
                    type="checkbox"
                    name={field.name}
                    checked={clinical[field.name] === true}
                    onChange={(event) =>
                      setClinical((c) => ({ ...c, [field.name]: event.target.checked }))
                    }
                    disabled={busy}
                  />
                  {fieldLabel(field)}
                </label>
              ) : (
                <Field
                  key={field.name}
                  id={`${id}-${field.name}`}
                  label={fieldLabel(field)}
                  hint={
                    field.min != null && field.max != null
                      ? t("clinical.range", { min: field.min, max: field.max })
                      : undefined
                  }
                >
                  {(control) => (
                    <input
                      {...control}
                      type="number"
                      name={field.name}
                      required
                      inputMode="numeric"
                      min={field.min ?? undefined}
                      max={field.max ?? undefined}
                      value={clinical[field.name] === undefined ? "" : String(clinical[field.name])}
                      onChange={(event) =>
                        setClinical((c) => ({
                          ...c,
                          [field.name]: event.target.value === "" ? "" : Number(event.target.value),
                        }))
                      }
                      disabled={busy}
                    />
                  )}
                </Field>
              ),
            )}
          </div>
        </fieldset>
      )}

      <div className="actions">
        <button type="submit" className="button" disabled={busy} data-testid="submit-screening">
          {t("screen.submit")}
        </button>
      </div>
    </form>
  );
}
