import type { InputHTMLAttributes, ReactNode } from "react";

/** What a field's control must carry to be tied to its label and hint. */
export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
}

/**
 * One labelled form control: the label, the control (`children` gets the id and the hint's
 * id to put on it) and an optional hint below, in the layout every form of the app shares.
 */
export function Field({
  id,
  label,
  hint,
  hintTestId,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  hintTestId?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": hintId })}
      {hint ? (
        <span id={hintId} className="hint" data-testid={hintTestId}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** A `Field` whose control is a plain <input>: every other prop goes on the input. */
export function InputField({
  id,
  label,
  hint,
  ...input
}: { id: string; label: ReactNode; hint?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, "id">) {
  return (
    <Field id={id} label={label} hint={hint}>
      {(control) => <input {...control} {...input} />}
    </Field>
  );
}

/** A required password `InputField`; `onValue` gets what is typed. */
export function PasswordField({
  onValue,
  ...props
}: { id: string; label: ReactNode; hint?: ReactNode; onValue: (value: string) => void } & Pick<
  InputHTMLAttributes<HTMLInputElement>,
  "name" | "value" | "minLength" | "maxLength"
> & { autoComplete: "current-password" | "new-password" }) {
  return <InputField {...props} type="password" required onChange={(e) => onValue(e.target.value)} />;
}
