-- scripts/audits/call_center_es_qa.lua
--
-- Auditoría de calidad (QA) de las llamadas de atención al cliente en español.
-- Quality audit for the Spanish call-centre conversations.
--
-- Uso / usage:
--   convgen audit --all --script scripts/audits/call_center_es_qa.lua
--   (código de salida 0: todo limpio; 1: alguna conversación no pasa)
--
-- `check(conv, ctx)` revisa UNA conversación ya escrita en disco y devuelve
-- `true` o `false, {motivos}`. `summary(results)` recibe el resultado de todas
-- y devuelve una frase de resumen para el informe.
--
-- Cada motivo empieza por una etiqueta fija («saludo», «verificación», «cierre»,
-- «inglés», «tuteo») seguida de «: » y el detalle; el resumen agrupa por etiqueta.

---------------------------------------------------------------------------
-- Vocabulario (ampliable por el equipo de QA sin programar)
---------------------------------------------------------------------------

-- Saludo del agente al descolgar.
local SALUDOS = { "buenos días", "buenas tardes", "buenas noches", "buenas", "hola" }

-- Fórmulas de cierre (ofrecer más ayuda o despedirse).
local CIERRES = {
  "algo más", "alguna otra cosa", "otra cosa", "otra gestión",
  "gracias por llamar", "gracias por su llamada", "gracias por confiar",
  "que tenga un", "que pase un", "no dude en", "hasta luego", "adiós",
}

-- El agente pide datos para verificar la identidad. Las siglas se comparan
-- como palabras completas («nie» está dentro de «Daniel» o «conveniente»).
local PIDE_VERIFICACION_SIGLAS = { "dni", "nie" }
local PIDE_VERIFICACION = {
  "fecha de nacimiento", "dígitos", "últimas cifras",
  "cuatro últimas", "verificar su identidad", "verificar que es usted",
}

-- El agente HACE un cambio en la cuenta (devolución, baja, cambio de tarifa,
-- bloqueo, traslado, reclamación, visita técnica…). Antes de la primera de
-- estas frases tiene que haber pedido la verificación. Son frases de acción
-- hecha («le tramito», «he anulado»), no de intención («para tramitar…»), para
-- no dar por cambio lo que solo es una explicación.
local CAMBIOS_EN_CUENTA = {
  "tramito", "tramitad",                                   -- le tramito / ya está tramitada
  "he aplicado", "le aplico", "queda aplicad",
  "he dado de baja", "le doy de baja", "baja queda", "he cursado",
  "he bloqueado", "le bloqueo", "queda bloquead",
  "he cambiado", "le cambio", "he activado", "le activo",
  "he corregido", "he anulado",
  "he programado", "le programo", "le voy a programar", "dejo programad",
  "he abierto", "le abro", "he dejado abiert", "he escalado",
  "he registrado", "queda registrad", "queda solicitad",
  "abono de", "la devolución de", "le devolveremos", "se le reembolsar",
}

-- Palabras en inglés que un agente de un centro español no debe decir.
-- Se permiten las que ya son de uso normal en España: «email», «wifi», «router»,
-- «online», «SMS», «PIN».
local INGLES = {
  "sorry", "please", "thanks", "thank", "okay", "ok", "hello", "hi", "bye",
  "yes", "sure", "cool", "welcome", "customer", "ticket", "feedback",
}

-- Formas de «tú» (el agente siempre trata de usted).
local TUTEO = {
  "tú", "tu", "tus", "te", "ti", "contigo", "tuyo", "tuya",
  "puedes", "tienes", "quieres", "sabes", "necesitas", "eres", "estás", "has",
  "prefieres", "llamas", "vives", "dices", "deseas", "recibirás", "podrás",
  "dime", "oye", "mira", "fíjate", "espérate", "perdona", "disculpa",
}

-- `text.find_any` (expresiones) y `text.find_word` (palabras completas) vienen
-- con convgen y entienden acentos y «ñ» (docs/lua-api.md, «Text helpers»).

---------------------------------------------------------------------------
-- La auditoría
---------------------------------------------------------------------------

--- Revisa una conversación.
---@param conv convgen.Conversation
---@param ctx convgen.Ctx
---@return boolean ok
---@return string|string[]|nil motivos
local function check(conv, ctx)
  local motivos = {}
  ---@type convgen.Turn[]
  local del_agente = {}
  for _, t in ipairs(conv.turns or {}) do
    if t.role == "agent" then del_agente[#del_agente + 1] = t end
  end
  local primero = del_agente[1]
  if not primero then
    return false, { "saludo: el agente no habla en toda la llamada" }
  end

  -- 1. Saludo en el primer turno del agente.
  if not text.find_any(primero.text, SALUDOS) then
    motivos[#motivos + 1] = string.format(
      "saludo: el primer turno del agente (turno %d) no saluda", primero.index)
  end

  -- 2. Verificación de identidad antes del primer cambio en la cuenta.
  ---@type integer|nil, integer|nil, string|nil
  local pide_en, cambia_en, cambio = nil, nil, nil
  for _, t in ipairs(del_agente) do
    if not pide_en and (text.find_word(t.text, PIDE_VERIFICACION_SIGLAS)
        or text.find_any(t.text, PIDE_VERIFICACION)) then
      pide_en = t.index
    end
    if not cambia_en then
      cambio = text.find_any(t.text, CAMBIOS_EN_CUENTA)
      if cambio then cambia_en = t.index end
    end
  end
  if cambia_en and (not pide_en or pide_en > cambia_en) then
    motivos[#motivos + 1] = string.format(
      "verificación: el agente cambia la cuenta en el turno %d («%s») sin haber verificado antes la identidad",
      cambia_en, cambio)
  end

  -- 3. Fórmula de cierre en uno de los dos últimos turnos del agente.
  local cierre = false
  for i = math.max(1, #del_agente - 1), #del_agente do
    if text.find_any(del_agente[i].text, CIERRES) then cierre = true end
  end
  if not cierre then
    motivos[#motivos + 1] = "cierre: falta la fórmula de cierre en los últimos turnos del agente"
  end

  -- 4 y 5. Ni inglés ni tuteo en los turnos del agente (un motivo por tipo).
  local ingles_visto, tuteo_visto = false, false
  for _, t in ipairs(del_agente) do
    local en = not ingles_visto and text.find_word(t.text, INGLES)
    if en then
      ingles_visto = true
      motivos[#motivos + 1] = string.format("inglés: «%s» en el turno %d", en, t.index)
    end
    local tu = not tuteo_visto and text.find_word(t.text, TUTEO)
    if tu then
      tuteo_visto = true
      motivos[#motivos + 1] = string.format("tuteo: «%s» en el turno %d", tu, t.index)
    end
  end

  if #motivos > 0 then return false, motivos end
  return true
end

--- Resumen final: cuántas pasan y el fallo más frecuente.
---@param results convgen.AuditResult[]
---@return string
local function summary(results)
  local total, pasan = #results, 0
  local por_tipo = {} -- etiqueta → número de conversaciones con ese fallo
  for _, r in ipairs(results) do
    if r.ok then
      pasan = pasan + 1
    else
      local vistas = {}
      for _, motivo in ipairs(r.reasons or {}) do
        local etiqueta = string.match(motivo, "^([^:]+):") or motivo
        if not vistas[etiqueta] then
          vistas[etiqueta] = true
          por_tipo[etiqueta] = (por_tipo[etiqueta] or 0) + 1
        end
      end
    end
  end
  local texto = string.format("%d/%d conversaciones pasan la auditoría de calidad", pasan, total)
  -- Ordenado de más a menos frecuente (y por nombre si empatan: resultado estable).
  local tipos = {}
  for etiqueta, n in pairs(por_tipo) do tipos[#tipos + 1] = { etiqueta = etiqueta, n = n } end
  table.sort(tipos, function(a, b)
    if a.n ~= b.n then return a.n > b.n end
    return a.etiqueta < b.etiqueta
  end)
  if #tipos > 0 then
    local partes = {}
    for _, t in ipairs(tipos) do partes[#partes + 1] = string.format("%s (%d)", t.etiqueta, t.n) end
    local empatados = {} -- los que comparten el primer puesto
    for _, t in ipairs(tipos) do
      if t.n == tipos[1].n then empatados[#empatados + 1] = t.etiqueta end
    end
    texto = texto .. (#empatados > 1 and "; fallos más frecuentes: " or "; fallo más frecuente: ")
        .. table.concat(empatados, ", ") .. "; por tipo: " .. table.concat(partes, ", ")
  end
  return texto
end

---@type convgen.Audit
return { check = check, summary = summary }
