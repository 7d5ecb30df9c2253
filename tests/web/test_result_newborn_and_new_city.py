"""The result page names the newborn as the person concerned and shows the due dates of what is
done at the new municipality (issue 10)."""


def test_the_result_page_says_the_newborn_is_concerned(client):
    q = ("date=2026-11-28&n=2&m0.relation=self&m0.insurance=kokuho&m1.relation=spouse&m1.insurance=kokuho"
         "&f.mother_insurance=kokuho&f.first_child=yes&f.child_allowance=no")
    html = client.get(f"/guide/birth/result?{q}").get_data(as_text=True)
    card = html[html.index('id="proc-kokuho_kanyu"'):]
    card = card[:card.index("</article>")]
    assert "対象の方" in card and "生まれた子" in card
    en = client.get(f"/guide/birth/result?{q}&lang=en").get_data(as_text=True)
    assert "The newborn child" in en


def test_the_page_shows_the_new_city_due_dates(client):
    q = ("date=2026-11-16&f.divorce_type=agreement&f.move=out_of_city&f.move_date=2026-11-28"
         "&f.insurance_after=kokuho&f.single_parent=yes&f.to_hyogo=yes&n=2"
         "&m0.relation=self&m0.age=34&m0.insurance=shaho&m1.relation=child&m1.age=6&m1.insurance=shaho")
    html = client.get(f"/guide/divorce/result?{q}").get_data(as_text=True)
    section = html[html.index('class="new-city"'):]
    section = section[:section.index("</section>")]
    assert "2026年12月14日" in section and "令和8年12月14日" in section
    assert "引越しの日（住み始めた日）から14日以内" in section
