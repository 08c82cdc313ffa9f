// A spec validation error in Kubernetes field.Error form: `<field>: <kind>: <detail>`.
export interface FieldError {
  field: string;
  message: string;
}

export const invalid = (field: string, value: unknown, detail: string): FieldError => ({ field, message: `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}` });
export const required = (field: string, detail: string): FieldError => ({ field, message: `${field}: Required value: ${detail}` });
export const unsupported = (field: string, detail: string): FieldError => ({ field, message: `${field}: Unsupported value: ${detail}` });
