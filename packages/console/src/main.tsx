// The operator console: a page per task, chosen by the address's #fragment, over the REST API.
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { client, getKey, setKey, settle, useLoad, value } from "./api.js";
import { AuditPage } from "./pages/audit.js";
import { CheckPage } from "./pages/check.js";
import { IdentifyPage } from "./pages/identify.js";
import { LivePage } from "./pages/live.js";
import { NoticePage } from "./pages/notice.js";
import { OverviewPage } from "./pages/overview.js";
import { PeoplePage } from "./pages/people.js";
import { PersonPage } from "./pages/person.js";
import { ReviewPage } from "./pages/review.js";
import { SettingsPage } from "./pages/settings.js";
import { type People, PeopleContext } from "./ui.js";

const PAGES = [
  ["overview", "Overview"],
  ["live", "Live"],
  ["review", "Review"],
  ["people", "People"],
  ["identify", "Identify"],
  ["audit", "Audit"],
  ["settings", "Settings"],
  ["check", "Liveness check"],
  ["notice", "Notice"],
] as const;
type PageName = (typeof PAGES)[number][0];

/** A path segment as typed: a stray `%` in an edited address is taken as it stands. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The page and its argument from `#/people/<id>`; anything unknown is the overview. */
function route(): { page: PageName; arg: string | undefined } {
  const [, page, arg] = location.hash.split("/");
  const known = PAGES.find(([name]) => name === page)?.[0];
  return { page: known ?? "overview", arg: arg ? decoded(arg) : undefined };
}

function useRoute() {
  const [at, setAt] = useState(route);
  useEffect(() => {
    const moved = () => {
      setAt(route());
      // Focus the new page's heading, so a keyboard or screen reader user lands on it.
      requestAnimationFrame(() => document.getElementById("page-title")?.focus());
    };
    addEventListener("hashchange", moved);
    return () => removeEventListener("hashchange", moved);
  }, []);
  return at;
}

type Theme = "light" | "dark";

/** The operator's theme, else the system's; set on <html>, where console.css reads it. */
function useTheme(): [Theme, (t: Theme) => void] {
  const [theme, setTheme] = useState<Theme>(
    () =>
      (localStorage.getItem("facerec-theme") as Theme | null) ??
      (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    (t) => {
      localStorage.setItem("facerec-theme", t);
      setTheme(t);
    },
  ];
}

function App() {
  const [key, changeKey] = useState(getKey);
  const { page, arg } = useRoute();
  const [theme, setTheme] = useTheme();
  const dark = theme === "dark";
  const [subjects, reloadPeople] = useLoad(
    async () => (key ? ((await value(settle(client.GET("/v1/subjects")))).subjects ?? []) : []),
    [key],
  );
  const people = useMemo<People>(() => {
    const list = subjects.state === "ready" ? subjects.value : [];
    return { list, byId: new Map(list.map((s) => [s.id as string, s])), reload: reloadPeople };
  }, [subjects, reloadPeople]);

  return (
    <PeopleContext.Provider value={people}>
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header>
        <h1>facerec</h1>
        <nav aria-label="pages">
          <ul>
            {PAGES.map(([name, label]) => (
              <li key={name}>
                <a href={`#/${name}`} aria-current={page === name ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="tools">
          <label>
            API key{" "}
            <input
              id="key"
              type="password"
              autocomplete="off"
              placeholder="frk_..."
              value={key}
              onChange={(e) => {
                const next = (e.currentTarget as HTMLInputElement).value.trim();
                setKey(next);
                changeKey(next);
              }}
            />
          </label>
          <button type="button" id="theme" aria-pressed={dark} onClick={() => setTheme(dark ? "light" : "dark")}>
            {dark ? "Light" : "Dark"} theme
          </button>
          <a href="/docs">API docs</a>
        </div>
      </header>
      <main id="main" key={key}>
        {!key ? (
          <p class="intro">Type an API key above to begin (an admin key sees every page). It stays in this tab only.</p>
        ) : (
          <Body page={page} arg={arg} />
        )}
      </main>
    </PeopleContext.Provider>
  );
}

function Body({ page, arg }: { page: PageName; arg: string | undefined }) {
  switch (page) {
    case "overview":
      return <OverviewPage />;
    case "live":
      return <LivePage />;
    case "review":
      return <ReviewPage />;
    case "people":
      return arg ? <PersonPage key={arg} id={arg} /> : <PeoplePage />;
    case "identify":
      return <IdentifyPage />;
    case "audit":
      return <AuditPage />;
    case "settings":
      return <SettingsPage />;
    case "check":
      return <CheckPage />;
    case "notice":
      return <NoticePage />;
  }
}

render(<App />, document.getElementById("app") as HTMLElement);
