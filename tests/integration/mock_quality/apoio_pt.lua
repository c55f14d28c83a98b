-- Regras de negócio para apoio_pt.md (linha de apoio da Atlântico Telecom, Lisboa).
-- Cada função é um «gancho» opcional (docs/lua-api.md). Tudo o que é aleatório
-- sai de `ctx.rng`, para que a mesma semente dê as mesmas chamadas.

---@type convgen.Hooks
local M = {}

---------------------------------------------------------------------------
-- 1. Dados de referência
---------------------------------------------------------------------------

local EMPRESA = "Atlântico Telecom"
local OPERADORES = { "Marta", "Rui", "Inês", "Tiago", "Sofia", "Pedro", "Catarina", "Nuno" }
local NOMES = {
  "Maria", "Ana", "Joana", "Beatriz", "Teresa", "Helena", "Filipa", "Luísa",
  "João", "José", "António", "Miguel", "Paulo", "Luís", "Francisco", "Manuel",
}
local APELIDOS = {
  "Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues",
  "Martins", "Sousa", "Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques",
}
-- Valor em euros de cada cenário: [mínimo, máximo].
local VALORES = {
  fatura_duplicada = { 30, 90 }, cancelamento_telemovel = { 10, 25 },
  fatura_roaming = { 120, 400 }, mudanca_tarifario = { 32, 43 },
}
local VALOR_POR_OMISSAO = { 30, 70 }

-- Cenários em que o operador altera o contrato: a identidade confirma-se antes
-- do 6.º turno.
local ALTERA_O_CONTRATO = {
  fatura_duplicada = true, fibra_sem_servico = true, cancelamento_telemovel = true,
  mudanca_tarifario = true, fatura_roaming = false,
}

local SAUDACOES = { "bom dia", "boa tarde", "boa noite", "olá" }
local FECHOS = {
  "mais alguma coisa", "obrigado por ligar", "obrigada por ligar", "obrigado pela chamada",
  "obrigado por contactar", "tenha um bom dia", "tenha uma boa tarde", "tenha uma boa noite",
  "até breve", "adeus", "melhores cumprimentos",
}
local IDENTIFICACAO_SIGLAS = { "nif" }
local IDENTIFICACAO = {
  "data de nascimento", "últimos dígitos", "confirmar a identidade", "confirmar a sua identidade",
}
-- O operador nunca trata o cliente por «tu» nem por «você».
local TRATAMENTO_PROIBIDO = { "tu", "te", "ti", "contigo", "você", "vocês", "podes", "tens", "queres" }

---------------------------------------------------------------------------
-- 2. Utilidades
---------------------------------------------------------------------------

--- 42.5 → "42,50 €" (vírgula decimal, como em Portugal).
local function euros(v)
  local c = math.floor(v * 100 + 0.5)
  return string.format("%d,%02d €", c // 100, c % 100)
end

--- Um NIF de pessoa singular válido: 8 algarismos + dígito de controlo (módulo 11).
local function nif(rng)
  local base = tostring(rng:int(1, 2)) .. string.format("%07d", rng:int(0, 9999999))
  local soma = 0
  for i = 1, 8 do soma = soma + tonumber(base:sub(i, i)) * (10 - i) end
  local controlo = 11 - soma % 11
  if controlo >= 10 then controlo = 0 end
  return base .. controlo
end

local function cenario(ctx, conv)
  if ctx.scenario then return ctx.scenario.id end
  return conv and conv.scenario and conv.scenario.id
end

---------------------------------------------------------------------------
-- 3. Ganchos
---------------------------------------------------------------------------

function M.variables(ctx)
  local rng = ctx.rng
  local faixa = VALORES[cenario(ctx) or ""] or VALOR_POR_OMISSAO
  local amount = rng:int(faixa[1] * 100, faixa[2] * 100) / 100
  local apelido1 = rng:choice(APELIDOS)
  local apelido2 = rng:choice(APELIDOS)
  return {
    customer = rng:choice(NOMES) .. " " .. apelido1 .. " " .. apelido2,
    agent = rng:choice(OPERADORES),
    company = EMPRESA,
    amount = amount,
    valor = euros(amount),
    nif = nif(rng),
    contrato = string.format("AT-%07d", rng:int(0, 9999999)),
  }
end

function M.validate_turn(turn, ctx)
  if not string.find(turn.text or "", "%S") then return false, "turno vazio" end
  if text.len(turn.text) > 600 then return false, "turno demasiado longo (mais de 600 caracteres)" end
  if turn.role == "operador" then
    local w = text.find_word(turn.text, TRATAMENTO_PROIBIDO)
    if w then return false, "o operador trata o cliente por «" .. w .. "»; deve usar «o senhor»/«a senhora»" end
  end
  return true
end

function M.validate_conversation(conv, ctx)
  local motivos = {}
  local do_operador, tudo = {}, {}
  for _, t in ipairs(conv.turns) do
    tudo[#tudo + 1] = t.text
    if t.role == "operador" then do_operador[#do_operador + 1] = t end
  end
  local primeiro = do_operador[1]
  if not primeiro then return false, "o operador não fala em toda a chamada" end
  local v = conv.variables or {}
  local texto = table.concat(tudo, "\n")

  -- 1. Saudação e apresentação no primeiro turno do operador.
  if not text.find_any(primeiro.text, SAUDACOES) then
    motivos[#motivos + 1] = "o operador não cumprimenta ao atender (bom dia, boa tarde…)"
  end
  if v.agent and not string.find(primeiro.text, v.agent, 1, true) then
    motivos[#motivos + 1] = "o operador não diz o nome («" .. v.agent .. "») ao atender"
  end
  -- 2. Fecho num dos dois últimos turnos do operador.
  local fecho = false
  for i = math.max(1, #do_operador - 1), #do_operador do
    if text.find_any(do_operador[i].text, FECHOS) then fecho = true end
  end
  if not fecho then motivos[#motivos + 1] = "falta o fecho (mais alguma coisa? / obrigado por ligar…)" end
  -- 3. Identidade confirmada antes do 6.º turno quando se altera o contrato.
  if ALTERA_O_CONTRATO[cenario(ctx, conv) or ""] then
    local ok = false
    for _, t in ipairs(do_operador) do
      if t.index < 6 and (text.find_word(t.text, IDENTIFICACAO_SIGLAS) or text.find_any(t.text, IDENTIFICACAO)) then
        ok = true
      end
    end
    if not ok then motivos[#motivos + 1] = "a identidade (NIF, data de nascimento, dígitos) não é confirmada antes do 6.º turno" end
  end
  -- 4. As variáveis do script aparecem na chamada: o cliente e a empresa.
  local nome = v.customer and text.words(v.customer) or {}
  if #nome > 0 and not text.find_word(texto, nome) then
    motivos[#motivos + 1] = "o nome do cliente («" .. v.customer .. "») não aparece na chamada"
  end
  if v.company and not string.find(texto, v.company, 1, true) then
    motivos[#motivos + 1] = "a empresa («" .. v.company .. "») não é mencionada"
  end
  if #motivos > 0 then return false, motivos end
  return true
end

return M
