// Placeholder until this page lands (being built in parallel); replaced, not extended.
export default function Placeholder(_props: Record<string, unknown>) {
  return <p class="muted">…</p>;
}
