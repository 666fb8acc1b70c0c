// The box-office device's message catalogue (the scanner's catalogue.js): texts in
// messages/<lang>.js.
import { catalogue } from '../scan/catalogue.js';
import en from './messages/en.js';
import uk from './messages/uk.js';

export const { lang, setLang, t, apply } = catalogue({ uk, en }, 'aspk-box-lang');
