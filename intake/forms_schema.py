"""Form definition files: the format (pydantic models) and the standard sections it expands to.

One file per online procedure: ``knowledge/packs/<pack>/forms/<procedure_id>.yaml``. Adding a
procedure to the online service is a new file here (and ``online: true`` on the procedure), no code.
``intake.forms.load_forms`` validates every file (errors read ``file:line: field.path: message``),
cross-checks it against the knowledge pack and expands it into pages.

Format
------
::

    id: juminhyo_utsushi            # = the procedure id in procedures/ (and the file name)
    title: {ja: …, en: …}           # every text is {ja, en, easy?} (knowledge.schema.Text)
    intro: {ja: …, en: …}           # optional: shown on the first page
    applicant:                      # optional: the signer's section (always generated, see below)
      title: {ja: 請求する人, en: …}  #   the heading (default 申請する人)
      sex: false                    #   ask 性別 too (only where the paper form asks it)
      phone_required: true
    proxy:                          # optional: applications by someone else
      allowed: true                 #   adds 代理人 to applicant_role and the 委任状 section
      roles:                        #   who else may apply WITHOUT a 委任状 (e.g. 同じ世帯の人)
      - {value: household, label: {ja: 同じ世帯の人, en: …}}
      letter_hint: {ja: …, en: …}   #   replaces the default help text of the 委任状 upload
    sections:                       # the procedure's own pages, in order (one page each)
    - id: persons
      title: {ja: …, en: …}
      intro: {ja: …, en: …}         # optional
      show_if: {applicant_role: proxy}   # optional: the whole page is skipped otherwise
      fields: [ … ]                 # see Field below
    purpose:                        # optional: 使いみち (a select; その他 + free text is added)
      choices: [{value: work, label: {ja: 就職・勤務先に出す, en: …}}, …]
      submit_to: true               #   adds 提出先 (optional text)
    delivery:                       # optional: how the resident receives what is issued
      options: [mail, counter]      #   mail: to the signer's registered address; counter: pick-up
      counters: [shimin_madoguchi]  #   counter ids of departments.yaml offered for pick-up
      hint: {ja: …, en: …}
    fee:                            # optional: the amounts are the procedure's ``fees`` in the
      copies_field: copies          #   pack; this says which number field(s) hold the copies
      per_choice_field: fiscal_years #  (optional) × the number of choices ticked (e.g. 年度)
      payment: at_submission        #   or after_review: staff confirm the amount first
    date_rules:                     # optional: relations between two date fields
    - {start: unko_start, end: unko_end, max_days: 5}       # end−start+1 ≤ 5 (期間は5日まで)
    - {start: unko_end, end: insurance_end, min_gap_days: 1} # end at least 1 day after start
    review:                         # optional: how staff decide (the staff console)
      department: shimin            #   the department (an id of departments.yaml) whose staff see and
                                    #   decide the applications (default: the procedure's own department);
                                    #   an application keeps the department it was first sent to
      second_approver: true         #   承認 needs a 一次承認 by another staff member first
      standard_processing_days: 3   #   標準処理期間 in open days (受付 → 発行): 期限間近/期限超過 in the inbox
      standard_processing_source: … #   where the figure comes from, or that the city must confirm it
    signature:                      # optional: what the My Number Card signature is checked against
      match: [name, birth_date, address]  # which of the signer's 基本4情報 (name, birth_date, address,
                                    #   sex) the certificate is compared with (SIGNATURE_ITEMS); default:
                                    #   all the form asks (sex only with applicant.sex). Staff see
                                    #   一致/不一致 for these items only.

Field::

    - id: copies                    # unique in the form; [a-z][a-z0-9_]*
      type: number                  # see FIELD_TYPES
      label: {ja: 通数, en: Number of copies}
      hint: {ja: …, en: …}          # optional help text under the label
      required: true                # the default: mark optional fields ``required: false``
      show_if: {whose: household_some}   # shown (and required) only when an earlier select,
                                    # radio or checkbox field has this value; a list means any
                                    # of them; several keys must all hold; a boolean checkbox
                                    # takes ``true``. A field whose controller is hidden is hidden.
      default: 1
      # by type:
      max_length: 100               # text, kana, address (street and building)
      multiline: true               # text: a textarea
      pattern: '^[A-Z0-9-]+$'       # text: a regular expression the (normalised) value matches
      normalize: nfkc_upper         # text: none (default: stored as typed — names!), nfkc, nfkc_upper
      choices: [{value: v, label: {…}, hint: {…}}]   # select, radio, checkbox
      fiscal_years: {count: 5, available_from: '06-01', income_note: true}  # choices = 年度
      min: 1, max: 10, decimals: 0, unit: {ja: 通, en: copies}              # number
      min_days: 0, max_days: 30     # date, wareki_date: bounds relative to today (0 = today)
      file: {types: [pdf, jpeg, png, heic], max_bytes: 5242880, max_count: 3}   # file
      fields: [ … ], min_items: 1, max_items: 10     # repeat: a list of small records
      autocomplete: family-name     # the HTML token (address fields derive their own)
      maps_to: kihon:申請者.氏名.姓   # optional: the standard data item the value is (MAPS_TO_PATTERN),
                                    # returned by the back-office API beside the value

Field types (``FIELD_TYPES``) and what a value is, after normalisation:
  text (as typed, only trimmed, unless ``normalize``), kana (full-width katakana: hiragana and
  half-width kana are converted), date and wareki_date (ISO ``YYYY-MM-DD``; wareki_date also takes
  和暦 input, for birth dates), select and radio (one choice value), checkbox (with choices: a list
  of values; without: true/false), number (an integer; a decimal number with ``decimals``),
  postal_code (7 digits), address (a group: postal_code → prefecture → city → street, building
  optional), phone (digits only), email, file (a list of stored uploads), repeat (a list of
  records of the sub-fields: no file, address or repeat inside).

Standard data items (``maps_to``): ``<scheme>:<item>``, where the scheme is ``kihon`` (the item
names of the 基本データリスト: 氏名, 氏名カナ, 生年月日, 性別, 住所, 郵便番号, 電話番号, prefixed by
whose data it is — 申請者, 委任者, 対象者, … — and ``.姓`` / ``.名`` for the parts of a name) or
``pittari`` (ぴったりサービス's preset items, once the city holds their specification). The standard
sections below carry theirs; a procedure's own fields set it where a standard item exists.

Standard sections, generated so that every form asks them the same way:
  * ``applicant`` (first page): the signer's 基本4情報 — ``applicant_family_name``,
    ``applicant_given_name``, their katakana, ``applicant_birth_date``, ``applicant_address``,
    ``applicant_sex`` (only with ``applicant.sex``) — compared with the 基本4情報 of the
    signature's certificate (``IDENTITY_FIELDS``), plus ``applicant_phone`` and, when a proxy
    is allowed, ``applicant_role`` (self, the extra roles, proxy).
  * ``principal`` (second page, only when ``applicant_role`` is proxy): the person who asked
    (委任者) and ``proxy_letter``, the 委任状 upload.
  * ``finish`` (last page, when ``purpose`` or ``delivery`` is given): ``purpose``,
    ``purpose_other``, ``submit_to``, ``delivery``, ``pickup_counter``.
  Their ids (``RESERVED_IDS``) cannot be used by the procedure's own fields.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field as F
from pydantic import model_validator

from core.words import N_, NP_, Message, Msgid, text
from knowledge.schema import ID_PATTERN, Strict, Text
from rules.wareki import wareki_year

FieldType = Literal[
    "text", "kana", "date", "wareki_date", "select", "radio", "checkbox", "number",
    "postal_code", "address", "phone", "email", "file", "repeat",
]
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
CHOICE_TYPES = ("select", "radio", "checkbox")
DATE_TYPES = ("date", "wareki_date")
FileKind = Literal["pdf", "jpeg", "png", "heic"]
MEDIA_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}
CHOICE_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
MAX_UPLOAD_BYTES = 20 * 2**20

# What a value must look like once normalised (also the JSON Schema patterns).
KANA_PATTERN = "^[ァ-ヶー・ヽヾ 　]+$"
PHONE_PATTERN = "^0[0-9]{9,10}$"
MAPS_TO_PATTERN = r"^(kihon|pittari):[^\s:]{1,80}$"
POSTAL_CODE_PATTERN = "^[0-9]{7}$"

AUTOCOMPLETE_TOKENS = frozenset({
    "off", "name", "family-name", "given-name", "bday", "sex", "tel", "email", "organization",
    "postal-code", "address-level1", "address-level2", "address-line1", "address-line2",
    "country-name",
})
ADDRESS_PARTS: tuple[tuple[str, str, Message, int], ...] = (
    # key, autocomplete token, label (read with .get(locale), like a pack Text), max length
    ("postal_code", "postal-code", Message(N_("郵便番号")), 8),
    ("prefecture", "address-level1", Message(N_("都道府県")), 4),
    ("city", "address-level2", Message(N_("市区町村")), 40),
    ("street", "address-line1", Message(N_("町名・番地")), 100),
    ("building", "address-line2", Message(N_("建物名・部屋番号")), 100),
)
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)


class Choice(Strict):
    value: str = F(pattern=CHOICE_PATTERN, max_length=40)
    label: Text
    hint: Text | None = None


class FileRules(Strict):
    types: list[FileKind] = F(min_length=1)
    max_bytes: int = F(ge=1024, le=MAX_UPLOAD_BYTES)
    max_count: int = F(default=1, ge=1, le=10)


class FiscalYears(Strict):
    """Choices computed from today's date: the latest ``count`` 年度 whose certificate exists."""

    count: int = F(ge=1, le=10)
    available_from: str = F(default="04-01", pattern=r"^(0[4-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    income_note: bool = False  # label each 年度 with the year of income it certifies


ConditionValue = str | bool | list[str]


class Field(Strict):
    id: str = F(pattern=ID_PATTERN, max_length=40)
    type: FieldType
    label: Text
    hint: Text | None = None
    required: bool = True
    show_if: dict[str, ConditionValue] | None = None
    default: str | int | float | bool | list[str] | None = None
    autocomplete: str | None = None
    maps_to: str | None = F(default=None, pattern=MAPS_TO_PATTERN)  # the standard data item (see above)
    # text, kana, address
    max_length: int | None = F(default=None, ge=1, le=4000)
    # text
    multiline: bool = False
    pattern: str | None = None
    normalize: Literal["none", "nfkc", "nfkc_upper"] = "none"
    # select, radio, checkbox
    choices: list[Choice] | None = None
    fiscal_years: FiscalYears | None = None
    # number
    min: float | None = None
    max: float | None = None
    decimals: int = F(default=0, ge=0, le=3)
    unit: Text | None = None
    # date, wareki_date: relative to today
    min_days: int | None = None
    max_days: int | None = None
    # file
    file: FileRules | None = None
    # repeat
    fields: list[Field] | None = None
    min_items: int | None = F(default=None, ge=0, le=50)
    max_items: int | None = F(default=None, ge=1, le=50)

    @property
    def is_boolean(self) -> bool:
        return self.type == "checkbox" and not self.choices and not self.fiscal_years

    @property
    def is_multiple(self) -> bool:
        return self.type == "checkbox" and not self.is_boolean

    def static_values(self) -> list[str]:
        return [c.value for c in self.choices or []]


class Section(Strict):
    id: str = F(pattern=ID_PATTERN, max_length=40)
    title: Text
    intro: Text | None = None
    show_if: dict[str, ConditionValue] | None = None
    fields: list[Field] = F(min_length=1)


class ApplicantOptions(Strict):
    title: Text | None = None
    sex: bool = False
    phone_required: bool = True


class ProxyOptions(Strict):
    allowed: bool
    roles: list[Choice] = []
    letter_hint: Text | None = None


class PurposeOptions(Strict):
    choices: list[Choice] = F(min_length=1)
    submit_to: bool = True


class DeliveryOptions(Strict):
    options: list[Literal["mail", "counter"]] = F(min_length=1, max_length=2)
    counters: list[str] = []
    hint: Text | None = None


class FeeOptions(Strict):
    copies_field: str | list[str] | None = None
    per_choice_field: str | None = None
    payment: Literal["at_submission", "after_review"] = "at_submission"

    @property
    def copies_fields(self) -> list[str]:
        if self.copies_field is None:
            return []
        return [self.copies_field] if isinstance(self.copies_field, str) else list(self.copies_field)


class DateRule(Strict):
    start: str
    end: str
    max_days: int | None = F(default=None, ge=1, le=3650)  # end − start + 1 at most
    min_gap_days: int = F(default=0, ge=0, le=3650)  # end − start at least
    message: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> DateRule:
        if self.max_days is None and self.min_gap_days == 0:
            raise ValueError("a date rule needs max_days or min_gap_days")
        return self


class ReviewOptions(Strict):
    # the department whose staff see and decide the applications (None: the procedure's department)
    department: str | None = F(default=None, pattern=ID_PATTERN, max_length=64)
    second_approver: bool = False  # two people decide: 一次承認 by one, 承認 by another
    # 標準処理期間 in open days (開庁日) from 受付 to 発行 (intake.processing_time); the staff inbox
    # marks 期限間近 / 期限超過 from it. ``standard_processing_source``: where the figure comes from
    # (the city's published 標準処理期間, or a note that the city has to confirm it).
    standard_processing_days: int | None = F(default=None, ge=1, le=365)
    standard_processing_source: str | None = F(default=None, max_length=300)


# The 基本4情報 of the signing certificate a form may compare (``signature.match``).
SignatureItem = Literal["name", "birth_date", "address", "sex"]
SIGNATURE_ITEMS: tuple[str, ...] = SignatureItem.__args__  # type: ignore[attr-defined]


class SignatureOptions(Strict):
    # which of the certificate's 基本4情報 the applicant's answers are compared with (None: all the form asks)
    match: list[SignatureItem] | None = F(default=None, min_length=1, max_length=4)


class FormFile(Strict):
    id: str = F(pattern=ID_PATTERN)
    title: Text
    intro: Text | None = None
    applicant: ApplicantOptions = ApplicantOptions()
    proxy: ProxyOptions | None = None
    sections: list[Section] = F(min_length=1)
    purpose: PurposeOptions | None = None
    delivery: DeliveryOptions | None = None
    fee: FeeOptions | None = None
    date_rules: list[DateRule] = []
    review: ReviewOptions = ReviewOptions()
    signature: SignatureOptions = SignatureOptions()

    @property
    def proxy_allowed(self) -> bool:
        return bool(self.proxy and self.proxy.allowed)

    @property
    def signature_items(self) -> tuple[str, ...] | None:
        """The 基本4情報 compared with the certificate as ``signature.match`` lists them (in the
        order of SIGNATURE_ITEMS); None: not set, every item the form asks is compared."""
        if self.signature.match is None:
            return None
        return tuple(i for i in SIGNATURE_ITEMS if i in self.signature.match)


# --- the standard sections ----------------------------------------------------------------

# The 基本4情報 of the signature's certificate and the form fields they are compared with.
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("applicant_family_name", "applicant_given_name"),
    "name_kana": ("applicant_family_kana", "applicant_given_kana"),
    "birth_date": ("applicant_birth_date",),
    "address": ("applicant_address",),
    "sex": ("applicant_sex",),
}
SELF, PROXY, OTHER = "self", "proxy", "other"
RESERVED_IDS = frozenset({
    "applicant_family_name", "applicant_given_name", "applicant_family_kana", "applicant_given_kana",
    "applicant_birth_date", "applicant_sex", "applicant_address", "applicant_phone", "applicant_role",
    "principal_family_name", "principal_given_name", "principal_family_kana", "principal_given_kana",
    "principal_birth_date", "principal_address", "principal_phone", "proxy_letter",
    "purpose", "purpose_other", "submit_to", "delivery", "pickup_counter",
})
RESERVED_SECTIONS = frozenset({"applicant", "principal", "finish"})
PROXY_LETTER_RULES = FileRules(types=["pdf", "jpeg", "png", "heic"], max_bytes=5 * 2**20, max_count=3)


def _t(msgid: Msgid, **variables: Any) -> Text:
    """A built-in label or hint as a pack Text: the catalogs' words (core.words.text) in each
    language a Text holds, so it reads like the pack's own labels."""
    return Text(**{lang: text(lang, msgid, **variables) for lang in Text.model_fields})


def person_fields(prefix: str, *, own: bool, sex: bool = False, phone_required: bool = True) -> list[Field]:
    """姓・名, their フリガナ, 生年月日, (性別), 住所, 電話 of the signer (own) or of someone else."""
    ac = (lambda token: token) if own else (lambda token: "off")
    whose = {"applicant": "申請者", "principal": "委任者"}.get(prefix, prefix)

    def item(name: str) -> str:
        return f"kihon:{whose}.{name}"
    kana_hint = _t(N_("ひらがなで入力しても、カタカナに直します。"))
    fields = [
        Field(id=f"{prefix}_family_name", maps_to=item("氏名.姓"), type="text", label=_t(N_("姓")), max_length=50,
              autocomplete=ac("family-name"),
              hint=_t(N_("住民票のとおりに入力してください。外国籍の人はアルファベットでも入力できます。"))),
        Field(id=f"{prefix}_given_name", maps_to=item("氏名.名"), type="text", label=_t(N_("名")), max_length=50,
              autocomplete=ac("given-name")),
        Field(id=f"{prefix}_family_kana", maps_to=item("氏名カナ.姓"), type="kana", label=_t(N_("姓（フリガナ）")),
              max_length=50, hint=kana_hint),
        Field(id=f"{prefix}_given_kana", maps_to=item("氏名カナ.名"), type="kana", label=_t(N_("名（フリガナ）")),
              max_length=50),
        Field(id=f"{prefix}_birth_date", maps_to=item("生年月日"), type="wareki_date", label=_t(N_("生年月日")),
              autocomplete=ac("bday"), max_days=0,
              hint=_t(N_("例：1985-04-01 または 昭和60年4月1日"))),
    ]
    if sex:
        fields.append(Field(
            id=f"{prefix}_sex", type="radio", maps_to=item("性別"), label=_t(N_("性別")),
            hint=_t(N_("住民票に記載されている性別を選んでください。")),
            choices=[Choice(value="male", label=_t(N_("男"))), Choice(value="female", label=_t(N_("女")))]))
    fields.append(Field(
        id=f"{prefix}_address", type="address", maps_to=item("住所"), autocomplete=None if own else "off",
        label=_t(N_("住所（住民登録をしている住所）")),
        hint=_t(N_("郵便番号を入れて「住所を検索」を押すと、住所の一部が入ります。"))))
    fields.append(Field(
        id=f"{prefix}_phone", type="phone", maps_to=item("電話番号"), label=_t(N_("電話番号")), autocomplete=ac("tel"),
        required=phone_required,
        hint=_t(N_("日中に連絡がとれる番号です。ハイフンはなくてもかまいません。"))))
    return fields


def applicant_section(form: FormFile) -> Section:
    opts = form.applicant
    fields = person_fields("applicant", own=True, sex=opts.sex, phone_required=opts.phone_required)
    if form.proxy_allowed:
        assert form.proxy is not None
        roles = [Choice(value=SELF, label=_t(N_("本人")),
                        hint=_t(N_("証明書などが必要な本人です。")))]
        roles += form.proxy.roles
        roles.append(Choice(value=PROXY, label=_t(N_("代理人")),
                            hint=_t(N_("本人から頼まれた人です。委任状が必要です。"))))
        fields.append(Field(id="applicant_role", type="radio", label=_t(N_("申請する人は")),
                            choices=roles, default=SELF))
    return Section(
        id="applicant", title=opts.title or _t(N_("申請する人")),
        intro=_t(N_("マイナンバーカードで電子署名をする人です。氏名・生年月日・住所は、住民票のとおりに入力して"
                    "ください。電子署名の情報と照らし合わせます。")),
        fields=fields)


def principal_section(form: FormFile) -> Section:
    assert form.proxy is not None
    fields = person_fields("principal", own=False, phone_required=False)
    fields.append(Field(
        id="proxy_letter", type="file", label=_t(N_("委任状")), file=PROXY_LETTER_RULES,
        hint=form.proxy.letter_hint or _t(N_(
            "頼んだ人が自分で書いた委任状を、写真またはPDFでつけてください。委任状の原本を送ってもらうことが"
            "あります。"))))
    return Section(
        id="principal", title=_t(N_("頼んだ人（委任者）")),
        intro=_t(N_("代理人が申請するときに入力します。頼んだ人の住民票のとおりに入力してください。")),
        show_if={"applicant_role": PROXY}, fields=fields)


def finish_section(form: FormFile, counters: dict[str, Text]) -> Section | None:
    """使いみち and 受け取り方法; ``counters`` are the labels of the pick-up counters."""
    fields: list[Field] = []
    if form.purpose:
        other = Choice(value=OTHER, label=_t(N_("その他")))
        fields.append(Field(id="purpose", type="select", label=_t(NP_("form field", "使いみち")),
                            choices=[*form.purpose.choices, other]))
        fields.append(Field(id="purpose_other", type="text", label=_t(N_("使いみち（その他）")),
                            max_length=100, show_if={"purpose": OTHER},
                            hint=_t(N_("何に使うかを具体的に書いてください。"))))
        if form.purpose.submit_to:
            fields.append(Field(id="submit_to", type="text", label=_t(NP_("form field", "提出先")),
                                required=False, max_length=100,
                                hint=_t(N_("例：〇〇銀行、ハローワーク"))))
    if form.delivery:
        labels = {
            "mail": Choice(value="mail", label=_t(NP_("delivery", "郵送")),
                           hint=_t(N_("申請した人（電子署名をした人）の住民登録の住所に送ります。ほかの住所には送れません。"))),
            "counter": Choice(value="counter", label=_t(N_("窓口で受け取る")),
                              hint=_t(N_("用意ができたらメールで知らせます。本人確認書類を持ってきてください。"))),
        }
        options = form.delivery.options
        fields.append(Field(id="delivery", type="radio", label=_t(NP_("form field", "受け取り方法")),
                            hint=form.delivery.hint, choices=[labels[o] for o in options],
                            default=options[0] if len(options) == 1 else None))
        if "counter" in options and counters:
            fields.append(Field(id="pickup_counter", type="select", label=_t(NP_("form field", "受け取る窓口")),
                                show_if={"delivery": "counter"},
                                choices=[Choice(value=cid, label=label) for cid, label in counters.items()],
                                default=next(iter(counters)) if len(counters) == 1 else None))
    if not fields:
        return None
    if form.purpose and form.delivery:
        title = _t(N_("使いみちと受け取り方法"))
    elif form.purpose:
        title = _t(N_("使いみち"))
    else:
        title = _t(N_("受け取り方法"))
    return Section(id="finish", title=title, fields=fields)


def fiscal_year_choices(rules: FiscalYears, today: dt.date) -> list[Choice]:
    """The latest ``count`` 年度, newest first; 年度 N is offered from ``available_from`` of year N."""
    month, day = (int(x) for x in rules.available_from.split("-"))
    latest = today.year if today >= dt.date(today.year, month, day) else today.year - 1
    label = (N_("%(era_year)s度（%(year)d年度）：%(income_year)d年1月〜12月の所得") if rules.income_note
             else N_("%(era_year)s度（%(year)d年度）"))
    return [Choice(value=str(year), label=_t(label, era_year=wareki_year(year), year=year, income_year=year - 1))
            for year in range(latest, latest - rules.count, -1)]
