/**
 * The admin list page, one for users, workspaces, groups, resources and tokens: a header with its actions, a search
 * box, a table whose rows open the item, and a pager. The table keeps every column on screen however long a value
 * is: cells wrap long words, and a column marked `clip` cuts its value with an ellipsis and shows it whole on hover.
 */
import type { ComponentChildren } from 'preact';
import { onLinkClick, navigate } from '../lib/router';
import { Empty, PageHeader, Pager, SearchBox } from '../admin/widgets';
import type { Page } from '../admin/use-data';
import { useTranslator } from '../lib/i18n';
import { adminStrings } from '../admin/strings';

export interface ListColumn<T> {
  header: ComponentChildren;
  cell: (item: T) => ComponentChildren;
  /** The cell's full value as text: shown on hover, so a wrapped or cut value can always be read whole. */
  text?: (item: T) => string;
  /** One line with an ellipsis instead of wrapping (serials, addresses); needs `text` for the hover. */
  clip?: boolean;
  /** The cell is the row's link (the first column unless another says so). */
  link?: boolean;
  /** A CSS width for the column, for example "8rem"; the others share what is left. */
  width?: string;
}

/** What `usePagedAnswer` returns; the list page needs only these parts of it. */
export interface ListState<T> {
  data: Page<T> | null;
  error: string;
  search: string;
  setSearch: (value: string) => void;
  page: number;
  setPage: (page: number) => void;
  pageSize: number;
}

export function ListPage<T extends { id: string }>(props: {
  title: ComponentChildren;
  /** Buttons beside the title (New …). */
  actions?: ComponentChildren;
  /** More controls beside the search box (filters). */
  filters?: ComponentChildren;
  list: ListState<T>;
  columns: Array<ListColumn<T>>;
  href: (item: T) => string;
  /** Shown instead of the table when nothing exists yet (not for an empty search). */
  emptyText?: ComponentChildren;
  /** Dialogs and anything else the page renders below the table. */
  children?: ComponentChildren;
  testId?: string;
}) {
  const t = useTranslator(adminStrings);
  const { list, columns } = props;
  const linkColumn = Math.max(0, columns.findIndex((column) => column.link));
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader title={props.title}>{props.actions}</PageHeader>
      <div class="toolbar">
        <SearchBox value={list.search} onValue={list.setSearch} />
        {props.filters}
      </div>
      {list.error ? <p class="alert error">{list.error}</p> : null}
      {list.data && items.length === 0 ? <Empty>{list.search ? t('noMatches') : props.emptyText ?? t('noItems')}</Empty> : null}
      {items.length > 0 ? (
        <>
          <table class="data list-table" data-testid={props.testId}>
            <colgroup>
              {columns.map((column, index) => (
                <col key={index} style={column.width ? { width: column.width } : undefined} />
              ))}
            </colgroup>
            <thead>
              <tr>
                {columns.map((column, index) => (
                  <th key={index} scope="col">
                    {column.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                // The row opens the item too; its link's own click has already navigated (defaultPrevented).
                <tr key={item.id} class="clickable" onClick={(event) => !event.defaultPrevented && navigate(props.href(item))}>
                  {columns.map((column, index) => {
                    const content = column.cell(item);
                    const title = column.text?.(item);
                    return (
                      <td key={index} class={column.clip ? 'clip' : undefined} title={title || undefined}>
                        {index === linkColumn ? (
                          <a href={props.href(item)} onClick={onLinkClick}>
                            {content}
                          </a>
                        ) : (
                          content
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={list.page} pageSize={list.pageSize} total={list.data!.total} onPage={list.setPage} />
        </>
      ) : null}
      {props.children}
    </>
  );
}
