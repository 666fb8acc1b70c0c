// The scanner's message catalogue (see catalogue.js): texts in messages/<lang>.js.
import { catalogue } from './catalogue.js';
import en from './messages/en.js';
import uk from './messages/uk.js';

export const { lang, setLang, t, apply } = catalogue({ uk, en }, 'aspk-scan-lang');
