/**
 * @module Who is asking: device and locale from the request headers. Real user agents get the device they always
 * got (checked against the regular expressions used before, which rescanned the header after every "Android"),
 * and a header of any length costs the same bounded work.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { deviceOf, LOCALE_PREFIX, localeOf, USER_AGENT_PREFIX } from "../../src/service/visitor";

/** The device detection before issue 9, kept as the reference for user agents of ordinary length. */
function previousDeviceOf(userAgent: string | null, mobileHint: string | null): string {
  const ua = userAgent ?? "";
  if (/iPad|Tablet|Android(?!.*Mobile)/i.test(ua)) return "tablet";
  if (mobileHint === "?1" || /Mobi|iPhone|Android/i.test(ua)) return "mobile";
  return "desktop";
}

describe("deviceOf", () => {
  it.each([
    ["iPhone Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "mobile"],
    ["iPad Safari", "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", "tablet"],
    ["Chrome on an Android phone", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36", "mobile"],
    ["Chrome on an Android tablet", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "tablet"],
    ["Samsung Internet on a Galaxy Tab", "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36", "tablet"],
    ["Firefox on an Android phone", "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0", "mobile"],
    ["Firefox on an Android tablet", "Mozilla/5.0 (Android 14; Tablet; rv:127.0) Gecko/127.0 Firefox/127.0", "tablet"],
    ["Silk on a Kindle Fire", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/126.3.1 like Chrome/126.0.6478.153 Safari/537.36", "tablet"],
    [
      "Facebook's in-app browser on Android",
      "Mozilla/5.0 (Linux; Android 12; SM-G991B Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/108.0.5359.128 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/397.0.0.23.404;]",
      "mobile",
    ],
    [
      "Googlebot smartphone",
      "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "mobile",
    ],
    ["Chrome on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "desktop"],
    ["Safari on a Mac (and iPadOS asking for the desktop site)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "desktop"],
    ["Firefox on Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "desktop"],
    ["no user agent", "", "desktop"],
    // Found by the property below when deviceOf lowercased with toLowerCase, which turns "İ" into "i" and a dot.
    ["a made-up user agent with a dotted capital I", "mob\u0130le", "desktop"],
  ])("%s is %s", (_, ua, device) => {
    expect(deviceOf(ua, null)).toBe(device);
    expect(previousDeviceOf(ua, null)).toBe(device);
  });

  it("takes the Client Hint sec-ch-ua-mobile: ?1 as mobile, unless the user agent says tablet", () => {
    const desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
    expect(deviceOf(desktop, "?1")).toBe("mobile");
    expect(deviceOf(desktop, "?0")).toBe("desktop");
    expect(deviceOf(null, "?1")).toBe("mobile");
    expect(deviceOf("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X)", "?1")).toBe("tablet");
  });

  // User agents made of the words that matter, in any case and order, up to the length that is read.
  // Non-ASCII letters that case-fold to or from ASCII ones (dotted and dotless i, Kelvin sign) included.
  const word = fc.constantFrom("Android", "android", "ANDROID", "Mobile", "mobile", "Mobi", "iPad", "IPAD", "Tablet", "iPhone", "Linux", " ", ";", "(", "x", "\u0130", "\u0131", "\u212a", "mob\u0130le", "\u0131pad");
  const userAgent = fc.array(word, { maxLength: 40 }).map((words) => words.join(""));
  const hint = fc.constantFrom(null, "?0", "?1");

  test.prop([userAgent, hint], { numRuns: 2_000 })("agrees with the previous detection on user agents of ordinary length", (ua, mobileHint) => {
    expect(ua.length).toBeLessThanOrEqual(USER_AGENT_PREFIX);
    expect(deviceOf(ua, mobileHint)).toBe(previousDeviceOf(ua, mobileHint));
  });

  test.prop([userAgent, fc.string({ maxLength: 200 })], { numRuns: 300 })("reads only the header's first USER_AGENT_PREFIX characters", (head, tail) => {
    const ua = head.padEnd(USER_AGENT_PREFIX, " ") + tail;
    expect(deviceOf(ua, null)).toBe(deviceOf(ua.slice(0, USER_AGENT_PREFIX), null));
  });
});

describe("localeOf", () => {
  it.each<[string | null, string]>([
    ["de-DE,de;q=0.9,en;q=0.8", "de-DE"],
    ["fr-ch", "fr-CH"],
    ["en-GB;q=0.9", "en-GB"],
    [" ja ", "ja"],
    ["*", "en-US"],
    ["not a locale", "en-US"],
    ["", "en-US"],
    [null, "en-US"],
  ])("%j is %s", (raw, locale) => {
    expect(localeOf(raw)).toBe(locale);
  });

  it("reads only the first LOCALE_PREFIX characters of a long header", () => {
    expect(localeOf(`nl-BE,${"x".repeat(100_000)}`)).toBe("nl-BE");
    expect(localeOf(`${"a".repeat(LOCALE_PREFIX)}-x,de`)).toBe("en-US");
  });
});
