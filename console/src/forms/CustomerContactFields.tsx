// The customer's contact, as "New claim" and "Correct customer contact" both ask for it.
import { useWords } from "../app/context";
import { LANGUAGES } from "../i18n/messages";
import { SelectField, TextField } from "../ui/fields";

export interface ContactValues {
  readonly name: string;
  readonly email: string;
  readonly title: string;
  readonly language: string;
  readonly timeZone: string;
}

// The browser's list of IANA zones; the API checks the value against its own database.
const TIME_ZONES: readonly string[] = Intl.supportedValuesOf("timeZone");

export function CustomerContactFields(props: {
  prefix: string;
  values: ContactValues;
  set: (changes: Partial<ContactValues>) => void;
  errors: Readonly<Record<string, string>>;
}) {
  const words = useWords();
  const { t } = words;
  const { prefix, values, set, errors } = props;
  const zones = `${prefix}time-zones`;
  return (
    <>
      <TextField
        id={`${prefix}customer_name`}
        label={t("field.customer_name")}
        autoComplete="off"
        value={values.name}
        onValue={(name) => {
          set({ name });
        }}
        error={errors[`${prefix}customer_name`]}
      />
      <TextField
        id={`${prefix}customer_email`}
        label={t("field.customer_email")}
        hint={t("hint.customer_email")}
        type="email"
        value={values.email}
        onValue={(email) => {
          set({ email });
        }}
        error={errors[`${prefix}customer_email`]}
      />
      <TextField
        id={`${prefix}customer_title`}
        label={t("field.customer_title")}
        optional
        value={values.title}
        onValue={(title) => {
          set({ title });
        }}
        error={errors[`${prefix}customer_title`]}
      />
      <SelectField
        id={`${prefix}customer_language`}
        label={t("field.customer_language")}
        value={values.language}
        onValue={(language) => {
          set({ language });
        }}
        choices={[
          { value: "", label: t("common.not_given") },
          ...LANGUAGES.map((code) => ({ value: code, label: words.languageName(code) })),
        ]}
        error={errors[`${prefix}customer_language`]}
      />
      <TextField
        id={`${prefix}customer_time_zone`}
        label={t("field.customer_time_zone")}
        hint={t("hint.customer_time_zone")}
        optional
        list={zones}
        value={values.timeZone}
        onValue={(timeZone) => {
          set({ timeZone });
        }}
        error={errors[`${prefix}customer_time_zone`]}
      />
      <datalist id={zones}>
        {TIME_ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </>
  );
}
