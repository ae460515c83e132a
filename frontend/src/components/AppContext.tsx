"use client";

import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, getMe, getModel } from "@/lib/api";
import { LOGIN_PATH, PUBLIC_PATHS } from "@/lib/signin";
import type { Me, ModelCard } from "@/lib/types";
import { useAnswer, type Answer } from "@/lib/useAnswer";
import { t } from "@/i18n";

interface AppState {
  /** null while loading or when signed out. */
  me: Me | null;
  /** The loaded model's card, for the forms and results (null while loading or if it failed). */
  model: ModelCard | null;
  /** Reads /auth/me (and the model card) again, e.g. after signing in. */
  refresh: () => Promise<Me | null>;
  /** Forgets the user; the guard then sends the browser to sign-in (`why` picks the notice). */
  signedOut: (why?: SignOutReason) => void;
}

type SignOutReason = "signed_out" | "expired" | "password_changed";

const AppContext = createContext<AppState | null>(null);

export const ACCOUNT_PATH = "/account";

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error("useApp outside AppProvider");
  return state;
}

export function AppProvider({ children }: { children: React.ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const [model, setModel] = useState<ModelCard | null>(null);
  const loadModel = useCallback(async () => {
    setModel(await getModel().catch(() => null));
  }, []);

  const known = useCallback(
    (who: Me | null) => {
      setMe(who);
      setChecked(true);
      if (who) void loadModel();
    },
    [loadModel],
  );

  const refresh = useCallback(async () => {
    const who = await getMe().catch(() => null);
    known(who);
    return who;
  }, [known]);

  const why = useRef<SignOutReason>("expired");
  const signedOut = useCallback((reason: SignOutReason = "expired") => {
    why.current = reason;
    setMe(null);
    setModel(null);
  }, []);

  // Who is signed in, asked once (the provider lives as long as the page).
  useEffect(() => {
    getMe().then(known, () => known(null));
  }, [known]);

  const isPublic = PUBLIC_PATHS.includes(pathname);
  useEffect(() => {
    if (checked && !me && !isPublic) {
      router.replace(
        why.current === "expired"
          ? `${LOGIN_PATH}?next=${encodeURIComponent(pathname)}`
          : `${LOGIN_PATH}?${why.current}=1`,
      );
      why.current = "expired";
    }
    // A one-time password someone else has seen: nothing but changing it until done.
    if (me?.must_change_password && pathname !== ACCOUNT_PATH) router.replace(ACCOUNT_PATH);
  }, [checked, me, isPublic, pathname, router]);

  const value = useMemo(
    () => ({ me, model, refresh, signedOut }),
    [me, model, refresh, signedOut],
  );
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

/**
 * `useAnswer` for a call that needs the session: a 401 (the session expired or was ended
 * elsewhere) forgets the user, and the guard above then sends the browser to sign-in.
 */
export function useSignedInAnswer<T>(load: () => Promise<T>): Answer<T> {
  const { signedOut } = useApp();
  const answer = useAnswer(load);
  const expired = answer.error instanceof ApiError && answer.error.code === "not_authenticated";
  useEffect(() => {
    if (expired) signedOut();
  }, [expired, signedOut]);
  return answer;
}

/** Renders children only once the user is known to be signed in (else a loading line). */
export function RequireAuth({ children }: { children: React.ReactNode }) {
  const { me } = useApp();
  if (!me) return <p className="muted" role="status">{t("app.checkingAuth")}</p>;
  return <>{children}</>;
}
