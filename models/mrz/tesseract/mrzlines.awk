# Prints N random but realistic MRZ lines (ICAO Doc 9303), one per line, for training Tesseract.
#
#   awk -v seed=42 -v n=1000 -f mrzlines.awk
#
# Mix: TD3 passports (2x44), MRV-A visas (2x44), TD2 (2x36), MRV-B (2x36), TD1 cards (3x30), with
# random names (long ones truncated), filler runs, `<` in document numbers, valid check digits
# (including 0), and ~15% lines of uniformly random symbols so that rare letters (Q, X, Z, ...)
# get enough samples. Only the 37 MRZ symbols A-Z 0-9 < are printed. Deterministic for a given
# awk implementation and seed (Debian's default awk is mawk).

function rnd(k) { return int(rand() * k) }
function pick(s,    a, m) { m = split(s, a, " "); return a[rnd(m) + 1] }
function fill(s, len) { while (length(s) < len) s = s "<"; return substr(s, 1, len) }
function cval(c) {
  if (c == "<") return 0
  if (c ~ /[0-9]/) return c + 0
  return index(ALPHA, c) + 9
}
function check(s,    i, t, w) {
  t = 0
  for (i = 1; i <= length(s); i++) t += cval(substr(s, i, 1)) * W[(i - 1) % 3]
  return t % 10
}
function digits(k,    s, i) { s = ""; for (i = 0; i < k; i++) s = s rnd(10); return s }
function letters(k,    s, i) { s = ""; for (i = 0; i < k; i++) s = s substr(ALPHA, rnd(26) + 1, 1); return s }
function alnum(k,    s, i) { s = ""; for (i = 0; i < k; i++) s = s substr(ALNUM, rnd(36) + 1, 1); return s }
function anysym(k,    s, i) { s = ""; for (i = 0; i < k; i++) s = s substr(SYMS, rnd(37) + 1, 1); return s }
function two(v) { return (v < 10 ? "0" : "") v }
function date(    m, d) { m = rnd(12) + 1; d = rnd(28) + 1; return two(rnd(100)) two(m) two(d) }
function state() {
  if (rand() < 0.15) return "UTO"
  if (rand() < 0.08) return "D<<"
  if (rand() < 0.25) return letters(3)
  return pick(STATES)
}
function word(    s, k, i) {
  s = ""; k = rnd(3) + 1
  for (i = 0; i < k; i++) s = s pick(ONSET) pick(VOWEL)
  if (rand() < 0.6) s = s pick(CODA)
  return s
}
function name(    s, k, i) {
  s = word()
  if (rand() < 0.25) s = s "<" word()
  s = s "<<" word()
  k = rnd(3)
  for (i = 0; i < k; i++) s = s "<" word()
  if (rand() < 0.1) s = s "<" word() word() word() word()  # long names that truncate
  return s
}
function docnum(k,    s) {
  s = alnum(k)
  if (rand() < 0.2) s = fill(substr(s, 1, k - rnd(3) - 1), k)
  return s
}
function optional(k) {
  if (rand() < 0.5) return fill("", k)
  if (rand() < 0.5) return fill(digits(rnd(k) + 1), k)
  return fill(alnum(rnd(k) + 1), k)
}
function sex() { return pick("M F M F <") }
function code(kind) {
  if (kind == "P") return pick("P< P< P< PD PO PS")
  if (kind == "V") return pick("V< V< VA VB")
  return pick("I< ID IP A< AC C<")
}
function emit(s) { print s; printed++ }
function td3(visa,    l1, num, dob, xpy, opt, up) {
  l1 = code(visa ? "V" : "P") state() name()
  num = docnum(9); dob = date(); xpy = date()
  if (visa) {
    opt = optional(16)
    up = num check(num) state() dob check(dob) sex() xpy check(xpy) opt
  } else {
    opt = optional(14)
    up = num check(num) state() dob check(dob) sex() xpy check(xpy) opt (opt ~ /^<+$/ ? "<" : check(opt))
    up = up check(num check(num) dob check(dob) xpy check(xpy) opt (opt ~ /^<+$/ ? "<" : check(opt)))
  }
  emit(fill(l1, 44)); emit(up)
}
function td2(visa,    l1, num, dob, xpy, opt, up) {
  l1 = code(visa ? "V" : "I") state() name()
  num = docnum(9); dob = date(); xpy = date()
  if (visa) {
    opt = optional(8)
    up = num check(num) state() dob check(dob) sex() xpy check(xpy) opt
  } else {
    opt = optional(7)
    up = num check(num) state() dob check(dob) sex() xpy check(xpy) opt
    up = up check(num check(num) dob check(dob) xpy check(xpy) opt)
  }
  emit(fill(l1, 36)); emit(up)
}
function td1(    l1, l2, num, dob, xpy, o1, o2) {
  num = docnum(9); o1 = optional(15); dob = date(); xpy = date(); o2 = optional(11)
  l1 = code("I") state() num check(num) o1
  l2 = dob check(dob) sex() xpy check(xpy) state() o2
  l2 = l2 check(num check(num) o1 dob check(dob) xpy check(xpy) o2)
  emit(l1); emit(l2); emit(fill(name(), 30))
}
BEGIN {
  srand(seed + 0)
  ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"; ALNUM = ALPHA "0123456789"; SYMS = ALNUM "<"
  W[0] = 7; W[1] = 3; W[2] = 1
  STATES = "UTO GBR USA DEU FRA NLD ITA ESP SWE NOR FIN DNK POL CZE AUT CHE BEL IRL PRT GRC " \
           "CAN AUS NZL JPN KOR CHN IND BRA MEX ARG RUS UKR TUR ISR ZAF NGA EGY GBD GBN GBO GBP " \
           "GBS UNO UNA UNK XXA XXB XXC XXX EUE"
  ONSET = "B BR C CH D DR F G GR H J K KH L M N P PR Q R S SH ST T TR V W X Y Z ZH"
  VOWEL = "A E I O U A E I O U Y AE OU IA"
  CODA = "N S R L M T K X Z NN SS RT LD NG SEN SON OV EVA"
  printed = 0
  while (printed < n) {
    r = rand()
    if (r < 0.30) td3(0)
    else if (r < 0.38) td3(1)
    else if (r < 0.53) td2(0)
    else if (r < 0.58) td2(1)
    else if (r < 0.85) td1()
    else emit(anysym(pick("30 36 44")))
  }
}
