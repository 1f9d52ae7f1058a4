/**
 * The resource page's "Self-Service" tab: switch the portal on under an alias, see the address users get, and
 * choose which of the actions users may take and in which order (the order of the portal's main page).
 * Nothing is saved until "Save"; the server validates again, and a taken alias is shown at the alias field.
 */
import { useMemo, useState } from 'preact/hooks';
import { ALIAS_MAX_LENGTH, ALIAS_PATTERN, RESERVED_ALIASES, SELF_SERVICE_ACTIONS as ALL_ACTIONS, type SelfServiceAction } from '../../../../worker/contract/selfservice';
import { SELF_SERVICE_TOKEN_TYPES as TOKEN_TYPES, type SelfServiceTokenType } from '../../../../worker/contract/tokens';
import { Alert, Button, Checkbox, TextField } from '../../components/form';
import { showToast } from '../../components/toast';
import { ApiError } from '../../lib/api';
import { adminApi, answer } from '../../lib/api-client';
import { describeError, useTranslator } from '../../lib/i18n';
import type { ResourceAnswer as Resource } from '../../../../worker/resources/answers';
import { confirmAction } from '../widgets';
import { selfServiceStrings } from './strings';
import { useUnsavedChangesGuard } from '../unsaved-changes';
import { ArrowDownIcon, ArrowUpIcon } from '../../components/icons';

/** What switching Register New Token on offers first when no type is chosen yet: the software token (an app). */
const FIRST_TOKEN_TYPE: SelfServiceTokenType = 'TOTP';

type AliasProblem = 'aliasRequired' | 'aliasInvalid' | 'aliasReserved' | 'aliasTaken' | null;

function aliasProblem(alias: string): AliasProblem {
  if (!alias) return 'aliasRequired';
  if (!ALIAS_PATTERN.test(alias)) return 'aliasInvalid';
  if (RESERVED_ALIASES.has(alias)) return 'aliasReserved';
  return null;
}

/** Enabled actions first in their saved order, then the others in the product's order. */
function initialOrder(saved: string[]): SelfServiceAction[] {
  const known = saved.filter((action): action is SelfServiceAction => (ALL_ACTIONS as readonly string[]).includes(action));
  return [...known, ...ALL_ACTIONS.filter((action) => !known.includes(action))];
}

export default function SelfServiceTab({ resource, onChange }: { resource: Resource; onChange: () => void }) {
  const t = useTranslator(selfServiceStrings);
  const saved = resource.selfService;
  const [enabled, setEnabled] = useState(saved.enabled);
  const [alias, setAlias] = useState(saved.alias ?? '');
  const [order, setOrder] = useState<SelfServiceAction[]>(() => initialOrder(saved.actions));
  const [switchedOn, setSwitchedOn] = useState<Set<SelfServiceAction>>(() => new Set(saved.actions as SelfServiceAction[]));
  const [tokenTypes, setTokenTypes] = useState<Set<SelfServiceTokenType>>(() => new Set(saved.tokenTypes as SelfServiceTokenType[]));
  const [portalUrl, setPortalUrl] = useState<string | null>(null);
  const [serverAliasProblem, setServerAliasProblem] = useState<{ alias: string; problem: AliasProblem } | null>(null);
  const [formError, setFormError] = useState('');
  const [showProblems, setShowProblems] = useState(false);
  const [busy, setBusy] = useState(false);

  const normalizedAlias = alias.trim().toLowerCase();
  const localProblem = aliasProblem(normalizedAlias);
  // The server's verdict (a taken alias) holds until the alias is edited.
  const problem = localProblem ?? (serverAliasProblem?.alias === normalizedAlias ? serverAliasProblem.problem : null);
  const needsTokenTypes = switchedOn.has('registerNewToken') && tokenTypes.size === 0;
  const address = portalUrl && saved.alias === normalizedAlias ? portalUrl : `${location.origin}/selfservice/${normalizedAlias || '…'}`;
  const liveAddress = saved.enabled && saved.alias ? (portalUrl ?? `${location.origin}/selfservice/${saved.alias}`) : null;

  const enabledActions = useMemo(() => order.filter((action) => switchedOn.has(action)), [order, switchedOn]);
  const dirty =
    enabled !== saved.enabled ||
    (enabled && normalizedAlias !== (saved.alias ?? '')) ||
    enabledActions.join() !== saved.actions.join() ||
    [...tokenTypes].sort().join() !== [...saved.tokenTypes].sort().join();
  useUnsavedChangesGuard(dirty);

  const move = (index: number, by: -1 | 1) => {
    const next = [...order];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    setOrder(next);
  };
  const toggle = <T,>(set: Set<T>, value: T, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setFormError('');
    setShowProblems(true);
    if ((enabled && localProblem) || needsTokenTypes) return;
    if (!enabled && saved.enabled && !(await confirmAction(t('disableConfirm', { url: liveAddress ?? '' })))) return;
    setBusy(true);
    try {
      const savedPortal = await answer(
        adminApi.resources[':id']['self-service'].$put({
          param: { id: resource.id },
          json: {
            enabled,
            // A disabled portal keeps its alias if it is a valid one; an invalid draft is not worth an error then.
            alias: enabled || !localProblem ? normalizedAlias : (saved.alias ?? null),
            actions: enabledActions,
            tokenTypes: [...tokenTypes].filter((type) => TOKEN_TYPES.includes(type)),
          },
        }),
      );
      setPortalUrl(savedPortal.portalUrl);
      setShowProblems(false);
      showToast(enabled ? t('saved') : t('disabledNow'));
      onChange();
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'ALIAS_TAKEN') setServerAliasProblem({ alias: normalizedAlias, problem: 'aliasTaken' });
      else if (failure instanceof ApiError && failure.code === 'VALIDATION_FAILED' && failure.fieldIssues.some((issue) => issue.path === 'alias')) {
        setServerAliasProblem({ alias: normalizedAlias, problem: 'aliasInvalid' });
      } else setFormError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const aliasMessage = problem && (showProblems || problem === 'aliasTaken' || (problem !== 'aliasRequired' && normalizedAlias.length >= 3)) ? t(problem) : '';

  return (
    <form class="stack" onSubmit={save} noValidate>
      <section class="panel stack">
        {liveAddress && enabled ? (
          <p class="row" data-testid="portal-live">
            <span class="pill ok">{t('portalLive')}</span>
            <a href={liveAddress} target="_blank" rel="noopener" class="mono" style={{ wordBreak: 'break-all' }}>
              {liveAddress}
            </a>
            {/* The clipboard API exists only in secure contexts (https or localhost). */}
            {navigator.clipboard ? (
              <Button variant="secondary" onClick={() => navigator.clipboard.writeText(liveAddress).then(() => showToast(t('copied')), () => undefined)}>
                {t('copy')}
              </Button>
            ) : null}
          </p>
        ) : (
          // The status follows the switch at once; what is saved changes with Save.
          <p class="muted" data-testid="portal-status">
            {enabled ? t('portalOnPending') : liveAddress ? t('portalOffPending') : t('portalOff')}
          </p>
        )}
        <Switch label={<strong>{t('enablePortal')}</strong>} name="self-service-enabled" checked={enabled} onChecked={setEnabled} onText={t('on')} offText={t('off')} />
        <small class="hint">{t('enableHint')}</small>
        {enabled ? (
          <div class="grid-2">
            <div>
              <TextField
                label={t('alias')}
                name="alias"
                value={alias}
                onValue={setAlias}
                hint={t('aliasHint')}
                autocomplete="off"
                spellcheck={false}
                maxLength={ALIAS_MAX_LENGTH}
                error={aliasMessage || undefined}
              />
            </div>
            <div class="field">
              <span>{t('address')}</span>
              <output class="mono" data-testid="portal-address" style={{ wordBreak: 'break-all' }}>
                {address}
              </output>
              {!saved.enabled || saved.alias !== normalizedAlias ? <small class="hint">{t('addressPending')}</small> : null}
            </div>
          </div>
        ) : null}
      </section>

      {enabled ? (
        <section class="panel stack">
          <div class="row">
            <h2 style={{ margin: 0 }}>{t('actions')}</h2>
            <span class="spacer" />
            <span class="muted">{t('enabledCount', { count: enabledActions.length, total: ALL_ACTIONS.length })}</span>
          </div>
          <small class="hint">{t('actionsHint')}</small>
          <ol class="sortable-list" aria-label={t('actions')}>
            {order.map((action, index) => {
              const on = switchedOn.has(action);
              return (
                <li key={action} class={on ? '' : 'disabled'} data-action={action}>
                  <div class="stack" style={{ flex: 1, gap: '0.4rem' }}>
                    <Switch
                      label={
                        <>
                          {t(action)}
                          {action === 'manageEnvironment' ? <span class="experimental">{t('experimental')}</span> : null}
                        </>
                      }
                      name={`action-${action}`}
                      checked={on}
                      onChecked={(next) => {
                        setSwitchedOn(toggle(switchedOn, action, next));
                        // An action that cannot be saved without a type starts with the usual one chosen.
                        if (action === 'registerNewToken' && next && tokenTypes.size === 0) setTokenTypes(new Set([FIRST_TOKEN_TYPE]));
                      }}
                      onText={t('on')}
                      offText={t('off')}
                    />
                    {action === 'registerNewToken' && on ? (
                      <fieldset class="row" style={{ border: 'none', padding: '0 0 0 1.5rem', margin: 0 }}>
                        <legend class="muted">{t('tokenTypes')}</legend>
                        {TOKEN_TYPES.map((type) => (
                          <Checkbox
                            key={type}
                            name={`token-type-${type}`}
                            label={t(type)}
                            checked={tokenTypes.has(type)}
                            onChecked={(next) => setTokenTypes(toggle(tokenTypes, type, next))}
                          />
                        ))}
                        {needsTokenTypes && showProblems ? <Alert>{t('tokenTypesRequired', { action: t('registerNewToken') })}</Alert> : null}
                      </fieldset>
                    ) : null}
                  </div>
                  <button type="button" class="icon-button" disabled={index === 0} onClick={() => move(index, -1)} aria-label={t('moveUp', { name: t(action) })} title={t('moveUp', { name: t(action) })}>
                    <ArrowUpIcon />
                  </button>
                  <button
                    type="button"
                    class="icon-button"
                    disabled={index === order.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={t('moveDown', { name: t(action) })}
                    title={t('moveDown', { name: t(action) })}
                  >
                    <ArrowDownIcon />
                  </button>
                </li>
              );
            })}
          </ol>
        </section>
      ) : null}

      <Alert>{formError}</Alert>
      <div class="row end">
        {dirty ? <span class="muted">{t('unsaved')}</span> : null}
        <Button type="submit" busy={busy}>
          {t('save')}
        </Button>
      </div>
    </form>
  );
}

/** A checkbox announced as a switch (on/off), with the state in words beside it, not only in the control. */
function Switch(props: { label: preact.ComponentChildren; name: string; checked: boolean; onChecked: (checked: boolean) => void; onText: string; offText: string }) {
  return (
    <label class="checkbox">
      <input type="checkbox" role="switch" name={props.name} checked={props.checked} onChange={(event) => props.onChecked((event.currentTarget as HTMLInputElement).checked)} />
      <span>{props.label}</span>
      <span class={`pill ${props.checked ? 'ok' : 'off'}`} aria-hidden="true">
        {props.checked ? props.onText : props.offText}
      </span>
    </label>
  );
}
