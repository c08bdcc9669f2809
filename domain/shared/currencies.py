"""The currencies Telegram Payments accepts, with Telegram's exponent (digits after the decimal
point) and the smallest and largest total an invoice may have, in minor units.

Shipped with the code, from Telegram's currencies.json ("Payments: supported currencies"); never
fetched at run time. Telegram moves the limits with exchange rates (about US$1 to US$10,000), so
an amount near a limit may need this table refreshed; amounts in between are never affected.
Telegram Stars (XTR) are deliberately absent: a hotel stay is a physical service.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    code: str
    exp: int
    min_amount: int
    max_amount: int

    def accepts(self, amount: int) -> bool:
        return self.min_amount <= amount <= self.max_amount


TELEGRAM_CURRENCIES: dict[str, Currency] = {
    "AED": Currency("AED", 2, 367, 3_672_991),
    "AFN": Currency("AFN", 2, 8_503, 85_030_416),
    "ALL": Currency("ALL", 2, 10_279, 102_791_475),
    "AMD": Currency("AMD", 2, 49_053, 490_536_665),
    "ARS": Currency("ARS", 2, 9_815, 98_157_992),
    "AUD": Currency("AUD", 2, 136, 1_366_680),
    "AZN": Currency("AZN", 2, 169, 1_698_045),
    "BAM": Currency("BAM", 2, 165, 1_654_777),
    "BDT": Currency("BDT", 2, 8_534, 85_345_579),
    "BGN": Currency("BGN", 2, 165, 1_655_478),
    "BND": Currency("BND", 2, 134, 1_341_800),
    "BOB": Currency("BOB", 2, 691, 6_919_953),
    "BRL": Currency("BRL", 2, 522, 5_223_302),
    "CAD": Currency("CAD", 2, 126, 1_263_750),
    "CHF": Currency("CHF", 2, 92, 922_096),
    "CLP": Currency("CLP", 0, 778, 7_780_494),
    "CNY": Currency("CNY", 2, 644, 6_444_198),
    "COP": Currency("COP", 2, 381_500, 3_815_000_000),
    "CRC": Currency("CRC", 2, 62_520, 625_206_230),
    "CZK": Currency("CZK", 2, 2_146, 21_464_597),
    "DKK": Currency("DKK", 2, 631, 6_311_260),
    "DOP": Currency("DOP", 2, 5_671, 56_710_634),
    "DZD": Currency("DZD", 2, 13_531, 135_314_991),
    "EGP": Currency("EGP", 2, 1_571, 15_713_604),
    "EUR": Currency("EUR", 2, 84, 848_788),
    "GBP": Currency("GBP", 2, 72, 723_134),
    "GEL": Currency("GEL", 2, 311, 3_115_020),
    "GTQ": Currency("GTQ", 2, 774, 7_740_475),
    "HKD": Currency("HKD", 2, 778, 7_783_265),
    "HNL": Currency("HNL", 2, 2_425, 24_250_074),
    "HRK": Currency("HRK", 2, 635, 6_356_995),
    "HUF": Currency("HUF", 2, 29_587, 295_874_993),
    "IDR": Currency("IDR", 2, 1_425_350, 14_253_500_000),
    "ILS": Currency("ILS", 2, 320, 3_208_310),
    "INR": Currency("INR", 2, 7_342, 73_420_499),
    "ISK": Currency("ISK", 0, 127, 1_271_395),
    "JMD": Currency("JMD", 2, 14_938, 149_381_097),
    "JPY": Currency("JPY", 0, 109, 1_093_219),
    "KES": Currency("KES", 2, 11_004, 110_049_923),
    "KGS": Currency("KGS", 2, 8_479, 84_795_972),
    "KRW": Currency("KRW", 0, 1_172, 11_720_801),
    "KZT": Currency("KZT", 2, 42_664, 426_649_632),
    "LBP": Currency("LBP", 2, 152_822, 1_528_222_616),
    "LKR": Currency("LKR", 2, 19_964, 199_641_772),
    "MAD": Currency("MAD", 2, 894, 8_946_498),
    "MDL": Currency("MDL", 2, 1_769, 17_691_657),
    "MNT": Currency("MNT", 2, 283_923, 2_839_237_786),
    "MUR": Currency("MUR", 2, 4_265, 42_650_475),
    "MVR": Currency("MVR", 2, 1_539, 15_399_549),
    "MXN": Currency("MXN", 2, 1_987, 19_870_775),
    "MYR": Currency("MYR", 2, 415, 4_158_501),
    "MZN": Currency("MZN", 2, 6_378, 63_785_009),
    "NGN": Currency("NGN", 2, 41_179, 411_790_459),
    "NIO": Currency("NIO", 2, 3_514, 35_149_769),
    "NOK": Currency("NOK", 2, 859, 8_596_330),
    "NPR": Currency("NPR", 2, 11_791, 117_910_536),
    "NZD": Currency("NZD", 2, 140, 1_405_110),
    "PAB": Currency("PAB", 2, 100, 1_000_736),
    "PEN": Currency("PEN", 2, 410, 4_109_527),
    "PHP": Currency("PHP", 2, 4_994, 49_945_018),
    "PKR": Currency("PKR", 2, 16_950, 169_500_733),
    "PLN": Currency("PLN", 2, 388, 3_880_010),
    "PYG": Currency("PYG", 0, 6_896, 68_964_321),
    "QAR": Currency("QAR", 2, 364, 3_640_975),
    "RON": Currency("RON", 2, 419, 4_199_702),
    "RSD": Currency("RSD", 2, 9_948, 99_481_357),
    "RUB": Currency("RUB", 2, 7_244, 72_446_503),
    "SAR": Currency("SAR", 2, 375, 3_750_410),
    "SEK": Currency("SEK", 2, 860, 8_608_360),
    "SGD": Currency("SGD", 2, 134, 1_342_580),
    "THB": Currency("THB", 2, 3_297, 32_976_498),
    "TJS": Currency("TJS", 2, 1_134, 11_343_058),
    "TRY": Currency("TRY", 2, 844, 8_444_250),
    "TTD": Currency("TTD", 2, 679, 6_795_496),
    "TWD": Currency("TWD", 2, 2_770, 27_704_501),
    "TZS": Currency("TZS", 2, 231_899, 2_318_999_792),
    "UAH": Currency("UAH", 2, 2_666, 26_661_647),
    "UGX": Currency("UGX", 0, 3_532, 35_325_273),
    "USD": Currency("USD", 2, 100, 1_000_000),
    "UYU": Currency("UYU", 2, 4_278, 42_785_106),
    "UZS": Currency("UZS", 2, 1_071_361, 10_713_612_481),
    "VND": Currency("VND", 0, 22_756, 227_565_000),
    "YER": Currency("YER", 2, 25_084, 250_849_446),
    "ZAR": Currency("ZAR", 2, 1_448, 14_484_800),
}


def telegram_currency(code: str) -> Currency | None:
    return TELEGRAM_CURRENCIES.get(code.upper())
