"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
import { t, type MessageKey } from "@/i18n";
import { logout } from "@/lib/api";
import { useApp } from "./AppContext";

const ROLE_LABEL = {
  clinician: "nav.role.clinician",
  admin: "nav.role.admin",
  sysadmin: "nav.role.sysadmin",
} as const;

const NAV: { href: string; key: MessageKey }[] = [
  { href: "/", key: "nav.screening" },
  { href: "/history", key: "nav.history" },
  { href: "/assessment", key: "nav.assessment" },
  { href: "/about", key: "nav.about" },
  { href: "/account", key: "nav.account" },
];

function isActive(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/";
  return pathname === href || pathname.startsWith(`${href}/`);
}

export function AppShell({ children }: { children: React.ReactNode }) {
  const { me, signedOut } = useApp();
  const pathname = usePathname();
  const [busy, setBusy] = useState(false);

  async function onSignOut() {
    setBusy(true);
    try {
      await logout();
    } catch {
      // Signed out either way: the session is forgotten on this side too.
    } finally {
      setBusy(false);
      signedOut("signed_out");
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <header className="site-header no-print">
        <div className="header-inner">
          <Link href="/" className="brand">
            <span className="brand-name">{t("app.name")}</span>
            <span className="brand-tagline">{t("app.tagline")}</span>
          </Link>
          {me && (
            <nav aria-label={t("nav.label")} className="main-nav">
              <ul>
                {NAV.map((item) => (
                  <li key={item.href}>
                    <Link
                      href={item.href}
                      aria-current={isActive(pathname, item.href) ? "page" : undefined}
                    >
                      {t(item.key)}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {me && (
            <div className="user-box">
              <span>
                {t("nav.signedInAs", { name: me.user.display_name || me.user.username })}{" "}
                <span className="muted">
                  ({t(ROLE_LABEL[me.user.role])})
                </span>
              </span>
              {me.auth_enabled && (
                <button type="button" className="button secondary" onClick={onSignOut} disabled={busy}>
                  {t("nav.signOut")}
                </button>
              )}
            </div>
          )}
        </div>
        {me && !me.auth_enabled && (
          <div className="banner banner-warning" role="alert" data-testid="auth-disabled-banner">
            {t("banner.authDisabled")}
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
