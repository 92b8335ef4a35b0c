"""Articles in other languages: detected, split with their abbreviations, summarized intact."""

import pytest

from news.summarize import detect_language, split_sentences, summarize

ARTICLES = {
    "de": [
        "Die Bundesregierung hat am Mittwoch ein neues Klimaschutzprogramm beschlossen.",
        "Nach Angaben des Umweltministeriums sollen die Emissionen bis 2030 um 65 Prozent sinken.",
        "Dr. Anna Müller vom Umweltbundesamt nannte das Programm einen wichtigen Schritt.",
        "Kritik kam dagegen von den Umweltverbänden, die schnellere Maßnahmen fordern.",
        "Sie verweisen z. B. auf den langsamen Ausbau der Windkraft in Süddeutschland.",
        "Das Programm soll am 3. Oktober im Bundestag beraten werden.",
        "Die Kosten werden auf rund 8,5 Milliarden Euro pro Jahr geschätzt.",
        "Die Opposition kündigte an, eigene Vorschläge zum Klimaschutz vorzulegen.",
    ],
    "fr": [
        "Le gouvernement a présenté mercredi un plan pour rénover les écoles publiques.",
        "Selon le ministère de l'Éducation, près de 4 500 écoles ont besoin de travaux urgents.",
        "M. Dupont, le ministre, a promis que les premiers chantiers commenceraient dès l'été.",
        "Le budget total du plan atteint 2,5 milliards d'euros sur cinq ans.",
        "Les syndicats d'enseignants ont salué l'annonce, tout en demandant plus de moyens.",
        "« C'est un premier pas, mais il faudra aller plus loin », a déclaré une porte-parole.",
        "Les maires des petites communes craignent de devoir financer une partie des travaux.",
        "Le plan sera examiné par le Parlement à l'automne.",
    ],
    "es": [
        "El Gobierno aprobó el martes una nueva ley de vivienda.",
        "La norma limita el precio del alquiler en las zonas con mayor demanda.",
        "Según el Sr. García, portavoz del ministerio, la ley beneficiará a dos millones de "
        "inquilinos.",
        "Los propietarios critican que la ley reducirá la oferta de pisos en alquiler.",
        "El precio medio del alquiler subió un 7,5 % el año pasado.",
        "¿Bajarán los precios del alquiler con la nueva ley?",
        "Los expertos creen que el efecto dependerá de cómo apliquen la ley las comunidades.",
        "La ley de vivienda entrará en vigor el próximo mes de enero.",
    ],
    "ru": [
        "Правительство в среду одобрило новый план развития железных дорог.",
        "По словам министра, до 2030 г. будет построено более 3 тыс. километров путей.",
        "Стоимость программы развития дорог оценивается в 1,5 трлн рублей.",
        "Основная часть средств пойдёт на модернизацию железных дорог в Сибири.",
        "Эксперты отмечают, что план поможет увеличить грузовые перевозки.",
        "Однако некоторые аналитики сомневаются, что сроки будут соблюдены.",
        "Они напоминают, что прошлые программы, в т.ч. строительство БАМа, опаздывали.",
        "Первые работы по строительству дорог должны начаться уже весной.",
    ],
    "pt": [
        "O governo anunciou nesta segunda-feira um novo programa de apoio à agricultura familiar.",
        "Segundo o ministro, o programa vai destinar 12,5 bilhões de reais a pequenos produtores.",
        "A Sra. Oliveira, presidente da associação de agricultores, elogiou o programa.",
        "Os recursos serão usados para crédito, assistência técnica e compra de sementes.",
        "Economistas afirmam que o programa pode reduzir o preço dos alimentos.",
        "A oposição, porém, critica a falta de detalhes sobre a origem do dinheiro.",
        "O programa deve beneficiar cerca de 3 milhões de famílias da agricultura familiar.",
        "As primeiras linhas de crédito estarão disponíveis em março.",
    ],
}


def _text(sentences: list[str]) -> str:
    # Two paragraphs, as an extracted article would have them.
    return " ".join(sentences[:4]) + "\n\n" + " ".join(sentences[4:])


@pytest.mark.parametrize("code", sorted(ARTICLES))
def test_language_is_detected(code: str) -> None:
    assert detect_language(_text(ARTICLES[code])) == code


@pytest.mark.parametrize("code", sorted(ARTICLES))
def test_article_splits_into_its_sentences(code: str) -> None:
    assert split_sentences(_text(ARTICLES[code]), code) == ARTICLES[code]


@pytest.mark.parametrize("code", sorted(ARTICLES))
def test_summary_is_whole_sentences_of_the_article_in_order(code: str) -> None:
    sentences = ARTICLES[code]
    summary = summarize(_text(sentences), sentences=3)
    assert 1 <= len(summary) <= 3
    positions = [sentences.index(s) for s in summary]  # ValueError if any is not intact
    assert positions == sorted(positions)
    assert summarize(_text(sentences), language=code, sentences=3) == summary


def test_unsure_or_empty_text_is_english() -> None:
    assert detect_language("") == "en"
    assert detect_language("12 345 — !!") == "en"


def test_unknown_language_still_gets_a_summary() -> None:
    # Latin: no sumy stemmer or stop words; summarized without stemming.
    text = (
        "Gallia est omnis divisa in partes tres. Quarum unam incolunt Belgae. "
        "Aliam Aquitani incolunt. Tertiam qui ipsorum lingua Celtae appellantur."
    )
    summary = summarize(text, language="la", sentences=2)
    assert len(summary) == 2
    assert all(s in text for s in summary)


def test_regional_language_tags_are_accepted() -> None:
    text = _text(ARTICLES["pt"])
    assert summarize(text, language="pt-BR") == summarize(text, language="pt")
    assert summarize(text, language="portuguese") == summarize(text, language="pt")
