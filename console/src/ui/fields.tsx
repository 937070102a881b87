// Form fields as people must get them right: the label above the field, a hint under it, and
// the API's message beside it when it refused the value (aria-invalid, aria-describedby).
import { createContext, type ComponentChildren, type InputHTMLAttributes } from "preact";
import { useContext } from "preact/hooks";
import { useWords } from "../app/context";
import type { Refusal } from "../forms/refusal";

const MessagesLanguage = createContext<string | null>(null);

/** The fields inside say a refusal's messages in its language (the API's English). */
export function RefusedIn({ refusal, children }: { refusal: Refusal; children: ComponentChildren }) {
  return <MessagesLanguage.Provider value={refusal.lang}>{children}</MessagesLanguage.Provider>;
}

interface FieldFrame {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  optional?: boolean;
}

function describedBy({ id, hint, error }: FieldFrame): string | undefined {
  const ids = [hint === undefined ? null : `${id}-hint`, error === undefined ? null : `${id}-error`];
  const joined = ids.filter((part) => part !== null).join(" ");
  return joined === "" ? undefined : joined;
}

function Frame(props: FieldFrame & { children: ComponentChildren }) {
  const { t } = useWords();
  const messagesLanguage = useContext(MessagesLanguage);
  return (
    <div class={props.error === undefined ? "field" : "field field-error"}>
      <label for={props.id}>
        {props.label}
        {props.optional === true && <span class="optional"> {t("common.optional")}</span>}
      </label>
      {props.hint !== undefined && (
        <p id={`${props.id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      {props.error !== undefined && (
        <p id={`${props.id}-error`} class="error-message" lang={messagesLanguage ?? undefined}>
          {props.error}
        </p>
      )}
      {props.children}
    </div>
  );
}

function controlProps(frame: FieldFrame) {
  return {
    id: frame.id,
    name: frame.id,
    "aria-invalid": frame.error === undefined ? undefined : ("true" as const),
    "aria-describedby": describedBy(frame),
  };
}

type InputProps = FieldFrame & {
  value: string;
  onValue: (value: string) => void;
  type?: "text" | "email" | "date";
  autoComplete?: string;
  inputMode?: InputHTMLAttributes["inputMode"];
  required?: boolean;
  list?: string;
};

export function TextField(props: InputProps) {
  return (
    <Frame {...props}>
      <input
        {...controlProps(props)}
        type={props.type ?? "text"}
        value={props.value}
        autoComplete={props.autoComplete ?? "off"}
        inputMode={props.inputMode}
        required={props.required}
        list={props.list}
        spellcheck={false}
        onInput={(event) => {
          props.onValue(event.currentTarget.value);
        }}
      />
    </Frame>
  );
}

export function TextArea(props: FieldFrame & { value: string; onValue: (value: string) => void; required?: boolean }) {
  return (
    <Frame {...props}>
      <textarea
        {...controlProps(props)}
        rows={4}
        value={props.value}
        required={props.required}
        onInput={(event) => {
          props.onValue(event.currentTarget.value);
        }}
      />
    </Frame>
  );
}

export interface Choice {
  readonly value: string;
  readonly label: string;
  readonly lang?: string;
}

export function SelectField(
  props: FieldFrame & {
    value: string;
    onValue: (value: string) => void;
    choices: readonly Choice[];
    disabled?: boolean;
    required?: boolean;
  },
) {
  return (
    <Frame {...props}>
      <select
        {...controlProps(props)}
        value={props.value}
        disabled={props.disabled}
        required={props.required}
        onChange={(event) => {
          props.onValue(event.currentTarget.value);
        }}
      >
        {props.choices.map((choice) => (
          <option key={choice.value} value={choice.value} lang={choice.lang}>
            {choice.label}
          </option>
        ))}
      </select>
    </Frame>
  );
}

/** Radios in a fieldset: one choice of a few, each with its label beside it. */
export function Radios<T extends string>(props: {
  legend: string;
  name: string;
  value: T | null;
  choices: readonly { readonly value: T; readonly label: string }[];
  onValue: (value: T) => void;
}) {
  return (
    <fieldset class="radios">
      <legend>{props.legend}</legend>
      {props.choices.map((choice) => (
        <div class="radio" key={choice.value}>
          <input
            type="radio"
            id={`${props.name}-${choice.value}`}
            name={props.name}
            value={choice.value}
            checked={props.value === choice.value}
            onChange={() => {
              props.onValue(choice.value);
            }}
          />
          <label for={`${props.name}-${choice.value}`}>{choice.label}</label>
        </div>
      ))}
    </fieldset>
  );
}
