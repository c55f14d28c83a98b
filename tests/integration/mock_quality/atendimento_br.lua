-- Regras de negócio para atendimento_br.md (central de atendimento do Banco
-- Piratininga, São Paulo). Cada função é um "gancho" opcional (docs/lua-api.md).
-- Tudo que é aleatório vem de `ctx.rng`: a mesma semente dá as mesmas ligações.

---@type convgen.Hooks
local M = {}

---------------------------------------------------------------------------
-- 1. Dados de referência
---------------------------------------------------------------------------

local EMPRESA = "Banco Piratininga"
local ATENDENTES = { "Juliana", "Rafael", "Camila", "Lucas", "Fernanda", "Gustavo", "Aline", "Thiago" }
local NOMES = {
  "Maria", "Ana", "Juliana", "Fernanda", "Camila", "Larissa", "Vanessa", "Letícia",
  "João", "José", "Lucas", "Gabriel", "Felipe", "Rodrigo", "Marcelo", "Eduardo",
}
local SOBRENOMES = {
  "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa",
  "Rodrigues", "Almeida", "Nascimento", "Carvalho", "Araújo", "Ribeiro",
}
-- Valor em reais de cada cenário: [mínimo, máximo].
local VALORES = {
  pix_chave_errada = { 150, 2500 }, compra_nao_reconhecida = { 80, 1800 },
  tarifa_cobrada = { 19, 45 },
}
local VALOR_PADRAO = { 50, 600 }

-- Cenários em que a atendente mexe na conta: identidade confirmada antes da 6ª fala.
local MEXE_NA_CONTA = {
  pix_chave_errada = true, compra_nao_reconhecida = true, cartao_roubado = true,
  tarifa_cobrada = true, senha_bloqueada = true,
}

local SAUDACOES = { "bom dia", "boa tarde", "boa noite", "olá" }
local ENCERRAMENTOS = {
  "mais alguma coisa", "obrigado por ligar", "obrigada por ligar", "agradece a sua ligação",
  "agradece sua ligação", "obrigado pela ligação", "tenha um ótimo dia", "tenha um bom dia",
  "tenha uma ótima tarde", "tenha uma boa noite", "até logo", "tchau",
}
local IDENTIFICACAO_SIGLAS = { "cpf" }
local IDENTIFICACAO = {
  "data de nascimento", "últimos dígitos", "confirmar a sua identidade", "confirmar a identidade",
  "confirmar sua identidade",
}
-- Formas de Portugal que um cliente de São Paulo estranharia na fala da atendente.
local PORTUGUES_EUROPEU = {
  "telemóvel", "registado", "registada", "estou a ver", "estou a verificar", "estou a abrir",
  "devolvemos-lhe", "dê-me", "pequeno-almoço", "contactá-lo", "ligamos-lhe",
}

---------------------------------------------------------------------------
-- 2. Utilidades
---------------------------------------------------------------------------

--- 1234.5 → "R$ 1.234,50".
local function reais(v)
  local c = math.floor(v * 100 + 0.5)
  local inteiro = tostring(c // 100):reverse():gsub("(%d%d%d)", "%1."):reverse():gsub("^%.", "")
  return string.format("R$ %s,%02d", inteiro, c % 100)
end

--- Um CPF válido, formatado 000.000.000-00 (dois dígitos verificadores).
local function cpf(rng)
  local d = {}
  for i = 1, 9 do d[i] = rng:int(0, 9) end
  for _, n in ipairs({ 9, 10 }) do
    local soma = 0
    for i = 1, n do soma = soma + d[i] * (n + 2 - i) end
    local r = soma * 10 % 11
    d[n + 1] = (r == 10) and 0 or r
  end
  local s = table.concat(d)
  return string.format("%s.%s.%s-%s", s:sub(1, 3), s:sub(4, 6), s:sub(7, 9), s:sub(10, 11))
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
  local faixa = VALORES[cenario(ctx) or ""] or VALOR_PADRAO
  local amount = rng:int(faixa[1] * 100, faixa[2] * 100) / 100
  return {
    customer = rng:choice(NOMES) .. " " .. rng:choice(SOBRENOMES) .. " " .. rng:choice(SOBRENOMES),
    agent = rng:choice(ATENDENTES),
    company = EMPRESA,
    amount = amount,
    valor = reais(amount),
    cpf = cpf(rng),
    agencia = string.format("%04d", rng:int(1, 9999)),
  }
end

function M.validate_turn(turn, ctx)
  if not string.find(turn.text or "", "%S") then return false, "fala vazia" end
  if text.len(turn.text) > 600 then return false, "fala longa demais (mais de 600 caracteres)" end
  if turn.role == "atendente" then
    local pt = text.find_any(turn.text, PORTUGUES_EUROPEU)
    if pt then return false, "a atendente fala como em Portugal («" .. pt .. "»)" end
  end
  return true
end

function M.validate_conversation(conv, ctx)
  local motivos = {}
  local da_atendente, tudo = {}, {}
  for _, t in ipairs(conv.turns) do
    tudo[#tudo + 1] = t.text
    if t.role == "atendente" then da_atendente[#da_atendente + 1] = t end
  end
  local primeira = da_atendente[1]
  if not primeira then return false, "a atendente não fala na ligação toda" end
  local v = conv.variables or {}
  local texto = table.concat(tudo, "\n")

  -- 1. Saudação e nome da atendente na primeira fala.
  if not text.find_any(primeira.text, SAUDACOES) then
    motivos[#motivos + 1] = "a atendente não cumprimenta (bom dia, boa tarde…)"
  end
  if v.agent and not string.find(primeira.text, v.agent, 1, true) then
    motivos[#motivos + 1] = "a atendente não fala o nome («" .. v.agent .. "») na saudação"
  end
  -- 2. Encerramento numa das duas últimas falas da atendente.
  local fechou = false
  for i = math.max(1, #da_atendente - 1), #da_atendente do
    if text.find_any(da_atendente[i].text, ENCERRAMENTOS) then fechou = true end
  end
  if not fechou then motivos[#motivos + 1] = "falta o encerramento (mais alguma coisa? / obrigado por ligar…)" end
  -- 3. Identidade confirmada antes da 6ª fala quando mexe na conta.
  if MEXE_NA_CONTA[cenario(ctx, conv) or ""] then
    local ok = false
    for _, t in ipairs(da_atendente) do
      if t.index < 6 and (text.find_word(t.text, IDENTIFICACAO_SIGLAS) or text.find_any(t.text, IDENTIFICACAO)) then
        ok = true
      end
    end
    if not ok then motivos[#motivos + 1] = "a identidade (CPF, data de nascimento, dígitos) não é confirmada antes da 6ª fala" end
  end
  -- 4. As variáveis do script aparecem: o nome do cliente e o banco.
  local nome = v.customer and text.words(v.customer) or {}
  if #nome > 0 and not text.find_word(texto, nome) then
    motivos[#motivos + 1] = "o nome do cliente («" .. v.customer .. "») não aparece na ligação"
  end
  if v.company and not string.find(texto, v.company, 1, true) then
    motivos[#motivos + 1] = "o banco («" .. v.company .. "») não é mencionado"
  end
  if #motivos > 0 then return false, motivos end
  return true
end

return M
