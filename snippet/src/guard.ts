/** @module The one wrapper around every entry point into the runtime: a failure stays inside it. */

/**
 * `fn`, made unable to throw into the host page: the store's page must work whatever the payload,
 * the DOM or the browser does to us.
 *
 * @example
 * button.onclick = guard(() => dismiss());
 */
export const guard =
  <A extends unknown[]>(fn: (...args: A) => void) =>
  (...args: A): void => {
    try {
      fn(...args);
    } catch {
      // Deliberately silent: an error in the console of a store's page is not ours to print.
    }
  };
