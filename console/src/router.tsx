// Screens by address, under the console's base path, with the History API: each screen has an
// address of its own that a person can bookmark, reload or open in a new tab.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

const BASE = import.meta.env.BASE_URL;

/** The path below the console's base, without a leading slash: `claims/01J...`. */
export function currentPath(): string {
  const path = window.location.pathname;
  return path.startsWith(BASE) ? path.slice(BASE.length) : path.replace(/^\//, "");
}

export function href(path: string): string {
  return `${BASE}${path}`;
}

const listeners = new Set<() => void>();

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = href(path);
  if (options.replace === true) window.history.replaceState(null, "", target);
  else window.history.pushState(null, "", target);
  for (const listener of listeners) listener();
}

/** The current path and query, kept up to date through links, `navigate` and Back/Forward. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, rerender] = useState(0);
  useEffect(() => {
    const changed = () => {
      rerender((n) => n + 1);
    };
    listeners.add(changed);
    window.addEventListener("popstate", changed);
    return () => {
      listeners.delete(changed);
      window.removeEventListener("popstate", changed);
    };
  }, []);
  return { path: currentPath(), query: new URLSearchParams(window.location.search) };
}

/**
 * The parameters of `path` if it matches `pattern` (`claims/:id`), else null. Each parameter is
 * one whole, non-empty path segment.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.replace(/\/$/, "").split("/");
  if (want.length !== have.length) return null;
  const parameters: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const value = have[index] ?? "";
    if (part.startsWith(":")) {
      if (value === "") return null;
      parameters[part.slice(1)] = decodeURIComponent(value);
    } else if (part !== value) {
      return null;
    }
  }
  return parameters;
}

interface LinkProps {
  to: string;
  class?: string;
  children: ComponentChildren;
}

/** A link to a screen of the console: a real link, followed without reloading the page. */
export function Link({ to, children, class: className }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a class={className} href={href(to)} onClick={onClick}>
      {children}
    </a>
  );
}
