import type { Metadata, Viewport } from "next";
import "@fontsource/sarabun/thai-400.css";
import "@fontsource/sarabun/thai-600.css";
import "@fontsource/sarabun/latin-400.css";
import "@fontsource/sarabun/latin-600.css";
import "./globals.css";
import { AppProvider } from "@/components/AppContext";
import { AppShell } from "@/components/AppShell";
import { t } from "@/i18n";

// Rendered per request: Next puts the CSP nonce of each request (src/proxy.ts) on its inline
// scripts only while rendering, so a page prerendered at build time would be blocked.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: `${t("app.name")} — ${t("app.tagline")}`,
  description: t("app.tagline"),
  robots: { index: false, follow: false },
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
};

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="th">
      <body>
        <AppProvider>
          <AppShell>{children}</AppShell>
        </AppProvider>
      </body>
    </html>
  );
}
