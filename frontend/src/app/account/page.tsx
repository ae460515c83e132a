"use client";

import { useId, useState } from "react";
import { RequireAuth, useApp, useSignedInAnswer } from "@/components/AppContext";
import { PasswordField } from "@/components/Field";
import { ErrorBox } from "@/components/Notices";
import { t } from "@/i18n";
import { changePassword, listUsers, resetPassword } from "@/lib/api";
import type { PasswordReset } from "@/lib/types";

// The password policy (12 to 128 characters), which the backend applies to a new password and
// refuses as `weak_password`; its OpenAPI schema only bounds the body (1 to 1024).
const MIN_LENGTH = 12;
const MAX_LENGTH = 128;

/** The user's own password change; also the forced first change after a one-time password. */
function ChangePassword() {
  const { me, signedOut } = useApp();
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);

  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    setLocal(null);
    if (next.length < MIN_LENGTH) return setLocal(t("account.tooShort"));
    if (next !== confirm) return setLocal(t("account.mismatch"));
    setBusy(true);
    try {
      await changePassword(current, next);
      signedOut("password_changed");
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t("account.changeTitle")}</h2>
      {me?.must_change_password && (
        <div className="banner banner-warning" role="alert" data-testid="must-change">
          {t("account.mustChange")}
        </div>
      )}
      <form onSubmit={onSubmit}>
        <PasswordField
          id={`${id}-current`}
          label={t("account.current")}
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
        />
        <PasswordField
          id={`${id}-new`}
          label={t("account.new")}
          hint={t("account.policy")}
          autoComplete="new-password"
          minLength={MIN_LENGTH}
          maxLength={MAX_LENGTH}
          value={next}
          onValue={setNext}
        />
        <PasswordField
          id={`${id}-confirm`}
          label={t("account.confirm")}
          autoComplete="new-password"
          value={confirm}
          onValue={setConfirm}
        />
        {local && (
          <p className="error-box" role="alert">
            {local}
          </p>
        )}
        {error !== null && <ErrorBox error={error} />}
        <button type="submit" className="button" disabled={busy} data-testid="change-password">
          {t("account.submit")}
        </button>
      </form>
    </section>
  );
}

/** Administrators: every account, and a one-time password reset for each. */
function Users() {
  const { data: users, error: listError, reload } = useSignedInAnswer(listUsers);
  const [resetError, setResetError] = useState<unknown>(null);
  const [issued, setIssued] = useState<PasswordReset | null>(null);
  const error = resetError ?? listError;

  async function onReset(username: string) {
    setResetError(null);
    try {
      setIssued(await resetPassword(username));
      reload();
    } catch (caught) {
      setResetError(caught);
    }
  }

  return (
    <section className="panel" aria-labelledby="users-title">
      <h2 id="users-title">{t("account.usersTitle")}</h2>
      {issued && (
        <p role="status" className="banner banner-warning" data-testid="reset-done">
          {t("account.resetDone", { user: issued.username, password: issued.one_time_password })}
        </p>
      )}
      {error !== null && <ErrorBox error={error} />}
      {users && (
        <div className="table-wrap">
          <table data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{t("account.col.user")}</th>
                <th scope="col">{t("account.col.role")}</th>
                <th scope="col">{t("account.col.organisation")}</th>
                <th scope="col">{t("account.col.state")}</th>
                <th scope="col">{t("account.reset")}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.username}>
                  <td>{user.username}</td>
                  <td>{t(user.role === "admin" ? "nav.role.admin" : "nav.role.clinician")}</td>
                  <td>{user.organisation}</td>
                  <td>
                    {t(
                      user.disabled
                        ? "account.state.disabled"
                        : user.must_change_password
                          ? "account.state.mustChange"
                          : "account.state.active",
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button secondary"
                      aria-label={t("account.resetLabel", { user: user.username })}
                      onClick={() => void onReset(user.username)}
                    >
                      {t("account.reset")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AccountPage() {
  const { me } = useApp();
  return (
    <>
      <h1>{t("account.title")}</h1>
      {me?.auth_enabled && <ChangePassword />}
      {me?.user.role === "admin" && !me.must_change_password && me.auth_enabled && <Users />}
    </>
  );
}

export default function Page() {
  return (
    <RequireAuth>
      <AccountPage />
    </RequireAuth>
  );
}
