-- Règles métier de fraude_fr.md (plateforme « Opposition et fraude carte » de la
-- Banque du Confluent, Lyon). Chaque fonction est un « crochet » facultatif
-- (docs/lua-api.md). Tout l'aléatoire vient de `ctx.rng` : même graine, mêmes appels.

---@type convgen.Hooks
local M = {}

---------------------------------------------------------------------------
-- 1. Données de référence
---------------------------------------------------------------------------

local BANQUE = "Banque du Confluent"
local CONSEILLERS = { "Camille", "Julien", "Claire", "Thomas", "Sophie", "Nicolas", "Émilie", "Antoine" }
local PRENOMS = {
  "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Céline", "Aurélie", "Julie",
  "Jean", "Philippe", "Pierre", "Michel", "Alain", "Laurent", "Olivier", "Sébastien",
}
local NOMS = {
  "Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Simon", "Lefebvre",
  "Girard", "Fournier", "Mercier", "Blanc", "Guerin", "Faure", "Rousseau", "Chevalier",
}
-- Montant en euros de chaque scénario : [minimum, maximum].
local MONTANTS = {
  paiement_inconnu = { 40, 900 }, retraits_etranger = { 300, 1200 }, carte_bloquee = { 60, 500 },
}
local MONTANT_PAR_DEFAUT = { 30, 400 }

-- Scénarios où le conseiller agit sur la carte : identité vérifiée avant la 6e réplique.
local AGIT_SUR_LA_CARTE = {
  paiement_inconnu = true, carte_volee = true, retraits_etranger = true, carte_bloquee = true,
  faux_conseiller = false,
}

local SALUTATIONS = { "bonjour", "bonsoir" }
local CLOTURES = {
  "autre chose", "autre question", "merci d'avoir appelé", "merci de votre appel",
  "merci pour votre appel", "merci d'avoir contacté", "bonne journée", "bonne soirée",
  "bon après-midi", "au revoir",
}
local IDENTIFICATION = {
  "date de naissance", "numéro client", "derniers chiffres", "vérifier votre identité",
}
-- Le conseiller vouvoie : aucun de ces mots dans sa bouche.
local TUTOIEMENT = { "tu", "toi", "te", "ton", "ta", "tes", "tien", "tienne" }

---------------------------------------------------------------------------
-- 2. Utilitaires
---------------------------------------------------------------------------

--- 1234.5 → "1 234,50 €" (espace pour les milliers, virgule décimale).
local function euros(v)
  local c = math.floor(v * 100 + 0.5)
  local entier = tostring(c // 100):reverse():gsub("(%d%d%d)", "%1 "):reverse():gsub("^ ", "")
  return string.format("%s,%02d €", entier, c % 100)
end

local function scenario(ctx, conv)
  if ctx.scenario then return ctx.scenario.id end
  return conv and conv.scenario and conv.scenario.id
end

---------------------------------------------------------------------------
-- 3. Crochets
---------------------------------------------------------------------------

function M.variables(ctx)
  local rng = ctx.rng
  local bornes = MONTANTS[scenario(ctx) or ""] or MONTANT_PAR_DEFAUT
  local amount = rng:int(bornes[1] * 100, bornes[2] * 100) / 100
  return {
    customer = rng:choice(PRENOMS) .. " " .. rng:choice(NOMS),
    agent = rng:choice(CONSEILLERS),
    company = BANQUE,
    amount = amount,
    montant = euros(amount),
    numero_client = string.format("%08d", rng:int(0, 99999999)),
  }
end

function M.validate_turn(turn, ctx)
  if not string.find(turn.text or "", "%S") then return false, "réplique vide" end
  if text.len(turn.text) > 600 then return false, "réplique trop longue (plus de 600 caractères)" end
  if turn.role == "conseiller" then
    local mot = text.find_word(turn.text, TUTOIEMENT)
    if mot then return false, "le conseiller tutoie le client (« " .. mot .. " »)" end
  end
  return true
end

function M.validate_conversation(conv, ctx)
  local motifs = {}
  local du_conseiller, tout = {}, {}
  for _, t in ipairs(conv.turns) do
    tout[#tout + 1] = t.text
    if t.role == "conseiller" then du_conseiller[#du_conseiller + 1] = t end
  end
  local premier = du_conseiller[1]
  if not premier then return false, "le conseiller ne parle pas de tout l'appel" end
  local v = conv.variables or {}
  local texte = table.concat(tout, "\n")

  -- 1. Salutation et présentation dès la première réplique.
  if not text.find_any(premier.text, SALUTATIONS) then
    motifs[#motifs + 1] = "le conseiller ne salue pas en décrochant (bonjour, bonsoir)"
  end
  if v.agent and not string.find(premier.text, v.agent, 1, true) then
    motifs[#motifs + 1] = "le conseiller ne se présente pas (« " .. v.agent .. " »)"
  end
  -- 2. Clôture dans l'une des deux dernières répliques du conseiller.
  local clos = false
  for i = math.max(1, #du_conseiller - 1), #du_conseiller do
    if text.find_any(du_conseiller[i].text, CLOTURES) then clos = true end
  end
  if not clos then motifs[#motifs + 1] = "pas de formule de clôture (autre chose ? / au revoir…)" end
  -- 3. Identité vérifiée avant la 6e réplique quand on agit sur la carte.
  if AGIT_SUR_LA_CARTE[scenario(ctx, conv) or ""] then
    local ok = false
    for _, t in ipairs(du_conseiller) do
      if t.index < 6 and text.find_any(t.text, IDENTIFICATION) then ok = true end
    end
    if not ok then motifs[#motifs + 1] = "l'identité n'est pas vérifiée avant la 6e réplique" end
  end
  -- 4. Les variables du script apparaissent : le client et la banque.
  local nom = v.customer and text.words(v.customer) or {}
  if #nom > 0 and not text.find_word(texte, nom) then
    motifs[#motifs + 1] = "le nom du client (« " .. v.customer .. " ») n'apparaît pas"
  end
  if v.company and not string.find(texte, v.company, 1, true) then
    motifs[#motifs + 1] = "la banque (« " .. v.company .. " ») n'est pas nommée"
  end
  if #motifs > 0 then return false, motifs end
  return true
end

return M
