// Thai names for values the backend sends as codes (metric names, layout profiles): a code the
// dictionary does not know is shown as sent rather than hidden.
import { hasMessage, t } from "@/i18n";

function labelOr(key: string, fallback: string): string {
  return hasMessage(key) ? t(key) : fallback;
}

export const metricName = (name: string) => labelOr(`about.metricName.${name}`, name);
export const layoutName = (name: string) => labelOr(`result.layout.name.${name}`, name);
export const profileName = (name: string) => labelOr(`screen.profile.${name}`, name);
export const profileHelp = (name: string) => labelOr(`screen.profileHelp.${name}`, "");
