// Form components: form, submit button, text input, selects, date picker, collapsible panel.

import { plain, type ButtonType } from "./components";
import { ISO_DATE } from "./dates";
import { clip } from "./escape";

/** A form (root level only) with a card-unique `name`; `elements` must contain a submit button. */
export function form(name: string, elements: object[]): object {
  return { tag: "form", name, direction: "vertical", vertical_spacing: "8px", elements };
}

/** A form's submit button: its press sends every field of the form with `value`. */
export function submitButton(
  text: string,
  name: string,
  value: Record<string, unknown>,
  opts: { type?: ButtonType; confirm?: { title: string; text: string } } = {},
): object {
  return {
    tag: "button",
    name,
    text: plain(text),
    type: opts.type ?? "primary_filled",
    form_action_type: "submit",
    behaviors: [{ type: "callback", value }],
    ...(opts.confirm
      ? { confirm: { title: plain(opts.confirm.title), text: plain(opts.confirm.text) } }
      : {}),
  };
}

export function textInput(opts: {
  name: string;
  placeholder: string;
  maxLength: number;
  label?: string;
  required?: boolean;
  multiline?: boolean;
  rows?: number;
  defaultValue?: string;
}): object {
  return {
    tag: "input",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    ...(opts.multiline
      ? { input_type: "multiline_text", rows: opts.rows ?? 3, auto_resize: true, max_rows: 10 }
      : {}),
    max_length: opts.maxLength,
    width: "fill",
    ...(opts.label ? { label: plain(opts.label), label_position: "top" } : {}),
    placeholder: plain(opts.placeholder),
    ...(opts.defaultValue ? { default_value: clip(opts.defaultValue, opts.maxLength) } : {}),
  };
}

export function selectStatic(opts: {
  name: string;
  placeholder: string;
  options: { value: string; text: string }[];
  required?: boolean;
  initial?: string;
}): object {
  const initial =
    opts.initial !== undefined && opts.options.some((o) => o.value === opts.initial)
      ? opts.initial
      : undefined;
  return {
    tag: "select_static",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    width: "fill",
    placeholder: plain(opts.placeholder),
    options: opts.options.map((o) => ({ text: plain(clip(o.text, 100)), value: o.value })),
    ...(initial !== undefined ? { initial_option: initial } : {}),
  };
}

export function selectPerson(opts: { name: string; placeholder: string; required?: boolean }): object {
  return {
    tag: "select_person",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    width: "fill",
    placeholder: plain(opts.placeholder),
  };
}

export function datePicker(opts: {
  name: string;
  placeholder: string;
  required?: boolean;
  initial?: string;
}): object {
  return {
    tag: "date_picker",
    name: opts.name,
    ...(opts.required ? { required: true } : {}),
    placeholder: plain(opts.placeholder),
    ...(opts.initial && ISO_DATE.test(opts.initial) ? { initial_date: opts.initial } : {}),
  };
}

/** A collapsible panel with a markdown title. */
export function panel(title: string, elements: object[], opts: { expanded?: boolean } = {}): object {
  return {
    tag: "collapsible_panel",
    expanded: opts.expanded ?? false,
    header: {
      title: { tag: "markdown", content: title },
      width: "fill",
      icon: { tag: "standard_icon", token: "down-small-ccm_outlined", size: "16px 16px" },
      icon_position: "right",
      icon_expanded_angle: -180,
    },
    vertical_spacing: "4px",
    elements,
  };
}
